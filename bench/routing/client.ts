/**
 * Plays a workload against a gateway: every session starts at its (scaled) arrival time and sends its turns one
 * after another, each a streamed chat completion carrying the whole conversation so far, the previous answers
 * included, as a chat client does. Records what the client saw, in wall-clock milliseconds.
 */
import { Agent, request } from 'undici';
import type { Session, Workload } from './workload.js';

export interface TurnRecord {
  session: number;
  turn: number;
  status: number;
  /** Wall-clock ms from sending to the first content chunk; undefined when none came. */
  firstChunkMs?: number;
  totalMs: number;
  backend: string | null;
}

interface Message {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

export async function playWorkload(gatewayUrl: string, model: string, workload: Workload, timeScale: number): Promise<TurnRecord[]> {
  const agent = new Agent({ connections: 512, keepAliveTimeout: 30_000 });
  const records: TurnRecord[] = [];
  const started = performance.now();
  const toRealMs = (virtualSeconds: number) => virtualSeconds * timeScale * 1000;

  async function turn(messages: Message[], session: Session, index: number): Promise<string> {
    const sentAt = performance.now();
    const response = await request(`${gatewayUrl}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages, max_tokens: workload.options.maxTokens, stream: true }),
    });
    let firstChunkMs: number | undefined;
    let buffered = '';
    let answer = '';
    for await (const chunk of response.body) {
      buffered += (chunk as Buffer).toString('utf8');
      let end: number;
      while ((end = buffered.indexOf('\n\n')) !== -1) {
        const event = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        for (const line of event.split('\n')) {
          if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
          const parsed = JSON.parse(line.slice(6)) as { choices?: { delta?: { content?: string } }[] };
          const content = parsed.choices?.[0]?.delta?.content;
          if (content) {
            firstChunkMs ??= performance.now() - sentAt;
            answer += content;
          }
        }
      }
    }
    records.push({
      session: session.id,
      turn: index,
      status: response.statusCode,
      firstChunkMs,
      totalMs: performance.now() - sentAt,
      backend: (response.headers['x-switchyard-provider'] as string | undefined) ?? null,
    });
    return answer;
  }

  async function play(session: Session): Promise<void> {
    await sleep(started + toRealMs(session.startAt) - performance.now());
    const messages: Message[] = [{ role: 'system', content: workload.systemPrompts[session.systemPrompt]! }];
    for (const [index, user] of session.userTurns.entries()) {
      if (index > 0) await sleep(toRealMs(session.thinkSeconds[index - 1]!));
      messages.push({ role: 'user', content: user });
      const answer = await turn(messages, session, index);
      messages.push({ role: 'assistant', content: answer });
    }
  }

  try {
    await Promise.all(workload.sessions.map((session) => play(session)));
  } finally {
    await agent.close();
  }
  return records;
}
