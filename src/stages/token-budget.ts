/**
 * Token budget (DESIGN.md §6): after model resolution, a chat request must fit the model's context window.
 *
 *   cheap bound fits? ──yes──► unchanged (the usual case: no tokenizer runs)
 *        │ no
 *   count exactly (gpt-tokenizer, per message)
 *   input + min_output_tokens > window? ──► strategy: reject (400 context_length_exceeded, param `messages`)
 *        │                                   drop_oldest / keep_last / summarize (x-switchyard-trimmed: n)
 *   max_tokens / max_completion_tokens > what is left (or > the model's max output)? ──► clamped
 *
 * A model whose window is unknown is not checked. When the model has `fallbacks_on.context_length_exceeded`
 * and the strategy is reject, an overflowing request goes on unchanged: the larger-context fallback serves it.
 * `/v1/messages` arrives here as the same internal request, so it gets the same checks in Anthropic's dialect.
 */
import type { GatewayContext } from '../core/context.js';
import { GatewayError } from '../core/errors.js';
import { tokenEncodingFor } from '../core/model-limits.js';
import type { ChatMessage, ChatRequest } from '../core/openai-schema.js';
import { countChatTokens, countMessageTokens, tokenCounter, upperBound, type CountTokens } from '../limits/token-count.js';
import type { ModelRoute } from '../routing/route-table.js';
import { dropOldest, keepLast, type TrimResult } from './context-trim.js';
import type { Summarize } from './summarize-turns.js';

export interface FittedRequest {
  request: ChatRequest;
  /** The exact input count, when the stage had to count (the tokens/min estimate reuses it). */
  inputTokens?: number;
}

type Overflow = NonNullable<ModelRoute['contextOverflow']>;

const rejectByDefault: Overflow = { strategy: 'reject', keep_last: 8, summary_max_tokens: 512, min_output_tokens: 1 };
/** Framing of the summary message beyond the summary's own tokens. */
const SUMMARY_PREFIX = 'Summary of the earlier conversation: ';

function requestedOutput(request: ChatRequest): number | undefined {
  return request.max_completion_tokens ?? request.max_tokens ?? undefined;
}

/** OpenAI's wording for an overflow; `param` names what is too long (`messages`, or `prompt` for completions). */
export function contextTooLong(window: number, input: number, requested: number | undefined, param: 'messages' | 'prompt', why = ''): GatewayError {
  const asked =
    requested === undefined
      ? `However, your ${param} resulted in ${input} tokens.`
      : `However, you requested ${input + requested} tokens (${input} in the ${param}, ${requested} in the completion).`;
  return new GatewayError(
    'context_length_exceeded',
    `This model's maximum context length is ${window} tokens. ${asked}${why} Please reduce the length of the ${param}${requested === undefined ? '' : ' or completion'}.`,
    { param },
  );
}

/** Sets max_tokens / max_completion_tokens (whichever the caller used) to at most `limit`. */
function clampOutput(request: ChatRequest, limit: number): ChatRequest {
  const clamped = { ...request };
  if (request.max_tokens != null && request.max_tokens > limit) clamped.max_tokens = limit;
  if (request.max_completion_tokens != null && request.max_completion_tokens > limit) clamped.max_completion_tokens = limit;
  return clamped;
}

const encodings = new WeakMap<ModelRoute, ReturnType<typeof tokenEncodingFor>>();

/** The vocabulary a model's requests are counted with: its first deployment's upstream model's. */
export function encodingOf(model: ModelRoute) {
  let encoding = encodings.get(model);
  if (encoding === undefined) {
    encoding = tokenEncodingFor(model.deployments[0]?.upstreamModel ?? model.name);
    encodings.set(model, encoding);
  }
  return encoding;
}

function trim(messages: readonly ChatMessage[], counts: readonly number[], budget: number, overflow: Overflow): TrimResult | undefined {
  return overflow.strategy === 'keep_last' ? keepLast(messages, counts, budget, overflow.keep_last) : dropOldest(messages, counts, budget);
}

/** Replaces the dropped turns with one summary message after the leading system messages; undefined if that fails. */
async function summarized(
  ctx: GatewayContext,
  request: ChatRequest,
  counts: readonly number[],
  budget: number,
  overflow: Overflow,
  count: CountTokens,
  summarize: Summarize,
): Promise<{ messages: ChatMessage[]; tokens: number; replaced: number } | undefined> {
  const room = budget - overflow.summary_max_tokens - countMessageTokens({ role: 'system', content: SUMMARY_PREFIX }, count);
  const plan = dropOldest(request.messages, counts, room);
  if (plan === undefined || plan.dropped.length === 0) return undefined;
  try {
    const text = await summarize(ctx, overflow.summarize_with!, plan.dropped.map((index) => request.messages[index]!), overflow.summary_max_tokens);
    const summary: ChatMessage = { role: 'system', content: SUMMARY_PREFIX + text };
    const kept = plan.kept.map((index) => request.messages[index]!);
    const at = kept.findIndex((message) => message.role !== 'system' && message.role !== 'developer');
    kept.splice(at === -1 ? kept.length : at, 0, summary);
    return { messages: kept, tokens: plan.tokens + countMessageTokens(summary, count), replaced: plan.dropped.length };
  } catch {
    // The summary is a nicety: when the cheap model fails, dropping the turns still answers the request.
    return undefined;
  }
}

export function tokenBudget(summarize: Summarize) {
  return async function fitToContext(ctx: GatewayContext, request: ChatRequest, model: ModelRoute): Promise<FittedRequest> {
    const window = model.contextWindow;
    if (window === undefined) return { request };
    const overflow = model.contextOverflow ?? rejectByDefault;
    const maxOutput = model.maxOutputTokens;
    const requested = requestedOutput(request);
    const wanted = Math.max(requested ?? 0, overflow.min_output_tokens);
    // Fast path: bytes bound tokens from above, so if the bound fits, the request does.
    if (upperBound(request) + wanted <= window && (maxOutput === undefined || requested === undefined || requested <= maxOutput)) return { request };

    const count = await tokenCounter(encodingOf(model));
    const counted = countChatTokens(request, count);
    let input = counted.total;
    let fitted = request;
    if (input + overflow.min_output_tokens > window) {
      if (overflow.strategy === 'reject') {
        if (model.fallbacksOn.context_length_exceeded.length > 0) return { request, inputTokens: input };
        throw contextTooLong(window, input, requested, 'messages');
      }
      const budget = window - overflow.min_output_tokens - counted.fixed;
      const summary = overflow.strategy === 'summarize' ? await summarized(ctx, request, counted.messages, budget, overflow, count, summarize) : undefined;
      if (summary !== undefined) {
        fitted = { ...request, messages: summary.messages };
        input = counted.fixed + summary.tokens;
        ctx.trimmedMessages = summary.replaced;
      } else {
        const plan = trim(request.messages, counted.messages, budget, overflow);
        if (plan === undefined) {
          throw contextTooLong(window, input, requested, 'messages', ` Trimming (${overflow.strategy}) cannot make it fit: the system messages and the last turn alone are too long.`);
        }
        fitted = { ...request, messages: plan.kept.map((index) => request.messages[index]!) };
        input = counted.fixed + plan.tokens;
        ctx.trimmedMessages = plan.dropped.length;
      }
    }
    const limit = Math.min(window - input, maxOutput ?? Number.POSITIVE_INFINITY);
    if (requested !== undefined && requested > limit) fitted = clampOutput(fitted, limit);
    return { request: fitted, inputTokens: input };
  };
}
