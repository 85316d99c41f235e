/**
 * `POST /v1/messages/count_tokens`: the request's input tokens as the gateway's own token budget counts them
 * (src/limits/token-count.ts, gpt-tokenizer): the system prompt, every message with its framing, tool calls and
 * results, tool definitions, and the reply priming. For Claude models this is an approximation — Anthropic's
 * tokenizer is not public and its own count endpoint is not reachable offline — typically within ±20%; what it
 * guarantees is that the number is the one the context-window check uses, so a request this endpoint says fits
 * is not refused for its length.
 */
import { tokenEncodingFor } from '../../core/model-limits.js';
import type { ChatRequest } from '../../core/openai-schema.js';
import { countChatTokens, tokenCounter } from '../../limits/token-count.js';

/** Input tokens of the translated request; `upstreamModel` picks the vocabulary (o200k for non-OpenAI models). */
export async function countInputTokens(chat: ChatRequest, upstreamModel: string): Promise<number> {
  const count = await tokenCounter(tokenEncodingFor(upstreamModel));
  return countChatTokens(chat, count).total;
}
