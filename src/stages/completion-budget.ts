/**
 * Token budget for legacy completions (`/v1/completions`, DESIGN.md §6): the prompt must fit the model's context
 * window. Each prompt of an array is its own completion, so the largest one decides.
 *
 *   cheap bound (UTF-8 bytes; token arrays exactly) fits? ──yes──► unchanged
 *        │ no
 *   count exactly ──► prompt + min_output_tokens > window? ──► 400 context_length_exceeded, param `prompt`
 *   max_tokens > what is left (or > the model's max output)? ──► clamped
 *
 * A prompt is one text, so there are no turns to trim: every `context_overflow.strategy` rejects here (only its
 * `min_output_tokens` applies). As for chat, a model with `fallbacks_on.context_length_exceeded` passes an
 * overflowing prompt on unchanged, and a model whose window is unknown is not checked.
 */
import type { CompletionRequest } from '../core/openai-schema.js';
import { countPromptTokens, promptUpperBound, tokenCounter } from '../limits/token-count.js';
import type { ModelRoute } from '../routing/route-table.js';
import { contextTooLong, encodingOf } from './token-budget.js';

export interface FittedCompletion {
  request: CompletionRequest;
  /** The largest prompt's exact tokens, when the stage had to count. */
  inputTokens?: number;
}

/** The usual case, decided without counting or waiting: the window is unknown, or the prompts' bound fits. */
export function completionFitsUncounted(request: CompletionRequest, model: ModelRoute): boolean {
  const window = model.contextWindow;
  if (window === undefined) return true;
  const maxOutput = model.maxOutputTokens;
  const requested = request.max_tokens ?? undefined;
  const wanted = Math.max(requested ?? 0, model.contextOverflow?.min_output_tokens ?? 1);
  return promptUpperBound(request.prompt) + wanted <= window && (maxOutput === undefined || requested === undefined || requested <= maxOutput);
}

export async function fitCompletionToContext(request: CompletionRequest, model: ModelRoute): Promise<FittedCompletion> {
  const window = model.contextWindow;
  if (window === undefined || completionFitsUncounted(request, model)) return { request };
  const minOutput = model.contextOverflow?.min_output_tokens ?? 1;
  const maxOutput = model.maxOutputTokens;
  const requested = request.max_tokens ?? undefined;

  const count = await tokenCounter(encodingOf(model));
  const input = Math.max(...countPromptTokens(request.prompt, count));
  if (input + minOutput > window) {
    if (model.fallbacksOn.context_length_exceeded.length > 0) return { request, inputTokens: input };
    throw contextTooLong(window, input, requested, 'prompt');
  }
  const limit = Math.min(window - input, maxOutput ?? Number.POSITIVE_INFINITY);
  return { request: requested !== undefined && requested > limit ? { ...request, max_tokens: limit } : request, inputTokens: input };
}
