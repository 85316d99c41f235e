/** The configured answer served when every deployment and fallback failed (DESIGN.md §4 degradation). */
import type { Answer } from '../app.js';
import type { ChatChunk, ChatResponse } from '../core/openai-types.js';

export function degradedAnswer(model: string, content: string, stream: boolean): Answer<ChatResponse, ChatChunk> {
  const id = `chatcmpl-degraded-${crypto.randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  if (!stream) {
    return {
      kind: 'complete',
      response: {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop', logprobs: null }],
        usage,
      },
    };
  }
  const base = { id, object: 'chat.completion.chunk' as const, created, model };
  const chunks: ChatChunk[] = [
    { ...base, choices: [{ index: 0, delta: { role: 'assistant', content }, finish_reason: null }] },
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
    { ...base, choices: [], usage },
  ];
  // The whole degraded answer is the stream's first batch.
  return { kind: 'stream', first: chunks, rest: { next: async () => ({ done: true, value: undefined }) } };
}
