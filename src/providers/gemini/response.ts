/** Gemini GenerateContentResponse → the internal chat response; the pieces are shared with the stream reader. */
import { randomBytes } from 'node:crypto';
import { GatewayError } from '../../core/errors.js';
import type { ToolCall } from '../../core/openai-schema.js';
import type { ChatResponse, ChoiceLogprobs, FinishReason, TokenLogprob, Usage } from '../../core/openai-types.js';
import type { GeminiCandidate, GeminiFunctionCall, GeminiLogprobsResult, GeminiResponse, GeminiUsageMetadata } from './wire.js';

const filteredReasons = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY']);

/** STOP also ends a turn that called functions; OpenAI clients look for `tool_calls` to run them. */
export function finishReasonOf(reason: string, calledTools: boolean): FinishReason {
  if (reason === 'MAX_TOKENS') return 'length';
  if (filteredReasons.has(reason)) return 'content_filter';
  return calledTools ? 'tool_calls' : 'stop';
}

/**
 * `candidatesTokenCount` excludes thinking tokens although they are billed as output, so they are added to
 * `completion_tokens` and reported as `reasoning_tokens`; tool-use prompt tokens are billed as input.
 */
export function usageOf(meta: GeminiUsageMetadata | undefined): Usage {
  const prompt = (meta?.promptTokenCount ?? 0) + (meta?.toolUsePromptTokenCount ?? 0);
  const thoughts = meta?.thoughtsTokenCount ?? 0;
  const completion = (meta?.candidatesTokenCount ?? 0) + thoughts;
  const usage: Usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  if (meta?.cachedContentTokenCount) usage.prompt_tokens_details = { cached_tokens: meta.cachedContentTokenCount };
  if (thoughts > 0) usage.completion_tokens_details = { reasoning_tokens: thoughts };
  return usage;
}

const encoder = new TextEncoder();

function tokenLogprob(token: string, logprob: number) {
  return { token, logprob, bytes: [...encoder.encode(token)] };
}

export function logprobsOf(result: GeminiLogprobsResult | undefined): ChoiceLogprobs | null {
  if (result?.chosenCandidates === undefined) return null;
  const content: TokenLogprob[] = result.chosenCandidates.map((chosen, step) => ({
    ...tokenLogprob(chosen.token ?? '', chosen.logProbability ?? 0),
    top_logprobs: (result.topCandidates?.[step]?.candidates ?? []).map((top) =>
      tokenLogprob(top.token ?? '', top.logProbability ?? 0),
    ),
  }));
  return { content, refusal: null };
}

/**
 * Gemini (AI Studio) gives function calls no ids, yet OpenAI clients match tool results to calls by id across the
 * whole conversation; a random suffix keeps ids from different turns apart.
 */
export function toolCallOf(call: GeminiFunctionCall, index: number): ToolCall {
  return {
    id: call.id ?? `call_${index}_${randomBytes(6).toString('hex')}`,
    type: 'function',
    function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) },
  };
}

/** The answer parts of a candidate: text (thought summaries excluded) and function calls. */
export function partsOf(candidate: GeminiCandidate): { text: string; calls: GeminiFunctionCall[] } {
  let text = '';
  const calls: GeminiFunctionCall[] = [];
  for (const part of candidate.content?.parts ?? []) {
    if (part.functionCall !== undefined) calls.push(part.functionCall);
    else if (typeof part.text === 'string' && part.thought !== true) text += part.text;
  }
  return { text, calls };
}

/** A prompt Gemini refused to answer at all comes back as 200 with `promptFeedback.blockReason` and no candidates. */
export function blockedPromptError(provider: string, response: GeminiResponse): GatewayError | undefined {
  const reason = response.promptFeedback?.blockReason;
  if (reason === undefined || (response.candidates?.length ?? 0) > 0) return undefined;
  const detail = response.promptFeedback?.blockReasonMessage;
  return new GatewayError('content_filtered', `Upstream ${provider} blocked the prompt (${reason})${detail ? `: ${detail}` : '.'}`, {
    upstreamStatus: 200,
  });
}

export function responseIdOf(response: GeminiResponse): string {
  return `chatcmpl-${response.responseId ?? randomBytes(12).toString('hex')}`;
}

export function toChatResponse(provider: string, body: unknown, model: string): ChatResponse {
  if (body === null || typeof body !== 'object') {
    throw new GatewayError('upstream_bad_response', `Upstream ${provider} returned a response that is not an object.`, {
      retryable: true,
    });
  }
  const response = body as GeminiResponse;
  const blocked = blockedPromptError(provider, response);
  if (blocked !== undefined) throw blocked;
  if (!Array.isArray(response.candidates) || response.candidates.length === 0) {
    throw new GatewayError('upstream_bad_response', `Upstream ${provider} returned no candidates.`, { retryable: true });
  }
  return {
    id: responseIdOf(response),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: response.modelVersion ?? model,
    choices: response.candidates.map((candidate, position) => {
      const { text, calls } = partsOf(candidate);
      const toolCalls = calls.map(toolCallOf);
      return {
        index: candidate.index ?? position,
        message: {
          role: 'assistant',
          content: text === '' ? null : text,
          refusal: null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        finish_reason: finishReasonOf(candidate.finishReason ?? 'STOP', toolCalls.length > 0),
        logprobs: logprobsOf(candidate.logprobsResult),
      };
    }),
    usage: usageOf(response.usageMetadata),
  };
}
