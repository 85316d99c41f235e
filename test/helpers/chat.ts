/** Requests and checks the adapter contract tests share. */
import assert from 'node:assert/strict';
import type { ChatRequest } from '../../src/core/openai-schema.js';
import type { ChatChunk } from '../../src/core/openai-types.js';
import { GatewayError } from '../../src/core/errors.js';

/** A one-turn chat request for the public model name; `extra` overrides or adds fields. */
export const chat = (extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'public-name',
  messages: [{ role: 'user', content: 'Say hello.' }],
  ...extra,
});

/** Every chunk of a stream, in order, whatever batches they came in. */
export async function collect(stream: AsyncIterable<ChatChunk[]>): Promise<ChatChunk[]> {
  const chunks: ChatChunk[] = [];
  for await (const batch of stream) chunks.push(...batch);
  return chunks;
}

/** Every finish reason the chunks carry, in order. */
export function finishReasons(chunks: ChatChunk[]): string[] {
  return chunks.flatMap((chunk) => chunk.choices.flatMap((choice) => (choice.finish_reason ? [choice.finish_reason] : [])));
}

/** Asserts `promise` rejects with a GatewayError, then runs `check` on it. */
export async function expectGatewayError(promise: Promise<unknown>, check: (error: GatewayError) => void): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof GatewayError, `expected a GatewayError, got ${String(error)}`);
    check(error);
    return true;
  });
}
