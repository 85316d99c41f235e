/**
 * The routing benchmark's workload, fully determined by a seed: shared system prompts of a few thousand tokens
 * with Zipf-like popularity, multi-turn sessions that arrive as a Poisson process and send their next turn a
 * random think time after the previous answer, each user turn adding a pasted passage to the history. All
 * times are virtual seconds (the engines' time); the client turns them into real time with the time scale.
 */
import { createRandom } from '../../src/providers/sim/generate.js';

export interface WorkloadOptions {
  seed: number;
  /** New sessions per virtual second (Poisson arrivals). */
  sessionRate: number;
  /** Virtual seconds during which sessions start. */
  durationSeconds: number;
  systemPrompts: number;
  /** Range of a system prompt's length, in words (about 1.3 sim tokens per word). */
  systemPromptWords: [number, number];
  turnsPerSession: [number, number];
  userTurnWords: [number, number];
  /** Mean think time between an answer and the next turn, virtual seconds (exponential). */
  meanThinkSeconds: number;
  maxTokens: number;
}

export interface Session {
  id: number;
  /** Virtual seconds after the start when the first turn is sent. */
  startAt: number;
  systemPrompt: number;
  userTurns: string[];
  /** Think time before each turn after the first, virtual seconds. */
  thinkSeconds: number[];
}

export interface Workload {
  options: WorkloadOptions;
  systemPrompts: string[];
  sessions: Session[];
}

export const defaultWorkload: WorkloadOptions = {
  seed: 7,
  sessionRate: 1.2,
  durationSeconds: 150,
  systemPrompts: 16,
  systemPromptWords: [900, 1800],
  turnsPerSession: [3, 6],
  userTurnWords: [120, 260],
  meanThinkSeconds: 2,
  maxTokens: 32,
};

const vocabulary = (
  'account order invoice refund shipping warehouse policy customer contract clause section delivery schedule ' +
  'return warranty payment balance statement ledger audit report region quarter forecast supplier product ' +
  'catalogue price discount tax country currency transfer approval request ticket escalation priority agent ' +
  'manager review summary detail example reference document appendix table figure value total the a of to and ' +
  'in for with on by is are was be this that which when where how why please must should may can will'
).split(' ');

export function buildWorkload(options: WorkloadOptions = defaultWorkload): Workload {
  const random = createRandom(options.seed);
  const between = ([low, high]: [number, number]) => low + Math.floor(random() * (high - low + 1));
  const words = (count: number) => Array.from({ length: count }, () => vocabulary[Math.floor(random() * vocabulary.length)]!).join(' ');
  const exponential = (mean: number) => -Math.log(1 - random()) * mean;

  const systemPrompts = Array.from(
    { length: options.systemPrompts },
    (_, index) =>
      `You are the assistant of tenant ${index} (${words(6)}). Follow its handbook below exactly.\n` +
      `${words(between(options.systemPromptWords))}.`,
  );
  // Zipf-like popularity (s = 0.8): a few prompts are shared by many sessions, most by a few.
  const popularity = systemPrompts.map((_, index) => 1 / (index + 1) ** 0.8);
  const total = popularity.reduce((sum, weight) => sum + weight, 0);
  const pickPrompt = () => {
    let point = random() * total;
    for (let index = 0; index < popularity.length; index++) {
      point -= popularity[index]!;
      if (point < 0) return index;
    }
    return popularity.length - 1;
  };

  const sessions: Session[] = [];
  for (let at = exponential(1 / options.sessionRate); at < options.durationSeconds; at += exponential(1 / options.sessionRate)) {
    const turns = between(options.turnsPerSession);
    sessions.push({
      id: sessions.length,
      startAt: at,
      systemPrompt: pickPrompt(),
      userTurns: Array.from({ length: turns }, (_, turn) => `Question ${turn + 1}: ${words(between(options.userTurnWords))}?`),
      thinkSeconds: Array.from({ length: turns - 1 }, () => exponential(options.meanThinkSeconds)),
    });
  }
  return { options, systemPrompts, sessions };
}
