/**
 * Which messages to keep when a conversation does not fit its model's context window: pure functions over the
 * messages and their token counts (the token-budget stage does the counting and the summarising).
 *
 * - System and developer messages always stay.
 * - The rest is cut into turns: an assistant message that calls tools travels with the tool results that follow
 *   it, so no tool result is ever left without its call (providers reject that).
 * - The last turn (the one being answered) always stays; the kept conversation starts at a user turn when one
 *   remains, as some providers require.
 */
import type { ChatMessage } from '../core/openai-schema.js';

/** Indices into the messages of one turn; for a tool call, the assistant message and its results. */
type Turn = number[];

const pinned = (message: ChatMessage) => message.role === 'system' || message.role === 'developer';

/** The non-pinned messages in turns, oldest first. */
export function turnsOf(messages: readonly ChatMessage[]): Turn[] {
  const turns: Turn[] = [];
  let open: { turn: Turn; callIds: Set<string> } | undefined;
  messages.forEach((message, index) => {
    if (pinned(message)) return;
    if (message.role === 'tool' && open?.callIds.has(message.tool_call_id)) {
      open.turn.push(index);
      return;
    }
    const turn = [index];
    turns.push(turn);
    const calls = message.role === 'assistant' ? (message.tool_calls ?? []) : [];
    open = calls.length > 0 ? { turn, callIds: new Set(calls.map((call) => call.id)) } : undefined;
  });
  return turns;
}

export interface TrimResult {
  /** Indices of the kept messages, in their original order. */
  kept: number[];
  /** Indices of the dropped messages, in their original order. */
  dropped: number[];
  /** Tokens of the kept messages. */
  tokens: number;
}

const sumOf = (indices: readonly number[], counts: readonly number[]) => indices.reduce((sum, index) => sum + counts[index]!, 0);

function result(messages: readonly ChatMessage[], keptTurns: readonly Turn[], counts: readonly number[]): TrimResult {
  const kept = new Set(keptTurns.flat());
  messages.forEach((message, index) => pinned(message) && kept.add(index));
  const keptList = [...kept].sort((a, b) => a - b);
  const dropped = messages.map((_, index) => index).filter((index) => !kept.has(index));
  return { kept: keptList, dropped, tokens: sumOf(keptList, counts) };
}

/** Drops turns from the front while over budget (never the last one), then up to the first user turn. */
function dropFront(messages: readonly ChatMessage[], turns: Turn[], counts: readonly number[], budget: number, pinnedTokens: number): Turn[] {
  let kept = turns;
  let tokens = pinnedTokens + kept.reduce((sum, turn) => sum + sumOf(turn, counts), 0);
  while (tokens > budget && kept.length > 1) {
    tokens -= sumOf(kept[0]!, counts);
    kept = kept.slice(1);
  }
  while (kept.length > 1 && messages[kept[0]![0]!]!.role !== 'user' && kept.some((turn) => messages[turn[0]!]!.role === 'user')) {
    kept = kept.slice(1);
  }
  return kept;
}

function pinnedTokensOf(messages: readonly ChatMessage[], counts: readonly number[]): number {
  return messages.reduce((sum, message, index) => (pinned(message) ? sum + counts[index]! : sum), 0);
}

/**
 * Oldest turns out until the kept messages' tokens fit `budget`. Undefined when even the system messages and the
 * last turn do not fit.
 */
export function dropOldest(messages: readonly ChatMessage[], counts: readonly number[], budget: number): TrimResult | undefined {
  const pinnedTokens = pinnedTokensOf(messages, counts);
  const kept = result(messages, dropFront(messages, turnsOf(messages), counts, budget, pinnedTokens), counts);
  return kept.tokens <= budget ? kept : undefined;
}

/**
 * The system messages and the last `keepLast` messages (fewer when a tool-call turn would be split), then oldest
 * turns out while still over `budget`. Undefined when the system messages and the last turn do not fit.
 */
export function keepLast(messages: readonly ChatMessage[], counts: readonly number[], budget: number, keepLast: number): TrimResult | undefined {
  const turns = turnsOf(messages);
  let start = turns.length - 1;
  let size = turns[start]?.length ?? 0;
  while (start > 0 && size + turns[start - 1]!.length <= keepLast) {
    start -= 1;
    size += turns[start]!.length;
  }
  const pinnedTokens = pinnedTokensOf(messages, counts);
  const kept = result(messages, dropFront(messages, turns.slice(start), counts, budget, pinnedTokens), counts);
  return kept.tokens <= budget ? kept : undefined;
}
