/**
 * What a request reserves against tokens/min before the call: its input, at ~4 characters a token (English and
 * JSON), plus the most output it asked for. Deliberately rough and cheap: the reservation is reconciled with the
 * provider's reported usage when the response ends.
 */
import type { ChatRequest, CompletionRequest, EmbeddingRequest } from '../core/openai-schema.js';

const CHARS_PER_TOKEN = 4;

function estimate(input: unknown, maxOutput: number | null | undefined): number {
  return Math.max(1, Math.ceil(JSON.stringify(input).length / CHARS_PER_TOKEN) + (maxOutput ?? 0));
}

/** `inputTokens`: the exact count, when the token-budget stage already tokenised the request. */
export const chatTokens = (request: ChatRequest, inputTokens?: number) =>
  inputTokens === undefined
    ? estimate(request.messages, request.max_completion_tokens ?? request.max_tokens)
    : Math.max(1, inputTokens + (request.max_completion_tokens ?? request.max_tokens ?? 0));
export const completionTokens = (request: CompletionRequest) => estimate(request.prompt, request.max_tokens);
export const embeddingTokens = (request: EmbeddingRequest) => estimate(request.input, 0);
