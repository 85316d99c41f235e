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
 * The summarize strategy's upstream call is returned as `summarize`, for app.ts to run once rate limits and budget
 * admitted the request; its cost is charged to the request (`ctx.summaryCall`). Legacy completions have their own
 * check (completion-budget.ts). A model whose window is unknown is not checked. When the model has `fallbacks_on.context_length_exceeded`
 * and the strategy is reject, an overflowing request goes on unchanged: the larger-context fallback serves it.
 * `/v1/messages` arrives here as the same internal request, so it gets the same checks in Anthropic's dialect.
 */
import type { GatewayContext } from '../core/context.js';
import { GatewayError } from '../core/errors.js';
import { tokenEncodingFor } from '../core/model-limits.js';
import type { ChatMessage, ChatRequest } from '../core/openai-schema.js';
import { countChatTokens, countMessageTokens, tokenCounter, upperBound, type ChatTokenCount, type CountTokens } from '../limits/token-count.js';
import type { ModelRoute } from '../routing/route-table.js';
import { dropOldest, keepLast, type TrimResult } from './context-trim.js';
import type { Summarize, Summary } from './summarize-turns.js';

export interface FittedRequest {
  request: ChatRequest;
  /** The exact input count, when the stage had to count (the tokens/min estimate reuses it). */
  inputTokens?: number;
  /**
   * Summarize strategy: the summary call, to run only once rate limits and budget admitted the request (it costs
   * money). Resolves to the request to send: the summarised one, or `request` (the turns dropped) when the
   * summary fails, is empty or does not fit.
   */
  summarize?: () => Promise<ChatRequest>;
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

/** `request` with its output limit lowered to what the window leaves after `input` (and the model's maximum). */
function withinWindow(request: ChatRequest, window: number, input: number, maxOutput: number | undefined): ChatRequest {
  const requested = requestedOutput(request);
  const limit = Math.min(window - input, maxOutput ?? Number.POSITIVE_INFINITY);
  return requested !== undefined && requested > limit ? clampOutput(request, limit) : request;
}

interface SummaryPlan {
  ctx: GatewayContext;
  request: ChatRequest;
  counted: ChatTokenCount;
  budget: number;
  window: number;
  maxOutput: number | undefined;
  overflow: Overflow;
  count: CountTokens;
  /** What to send when the summary cannot be used: the request with turns dropped. */
  dropped: ChatRequest;
}

/**
 * The summary step: the turns drop_oldest would remove (leaving room for the summary) replaced by one summary
 * message after the leading system messages. The call's cost is charged to the request whatever its outcome.
 */
function summaryStep(plan: SummaryPlan, summarize: Summarize): (() => Promise<ChatRequest>) | undefined {
  const { ctx, request, counted, overflow, count } = plan;
  const room = plan.budget - overflow.summary_max_tokens - countMessageTokens({ role: 'system', content: SUMMARY_PREFIX }, count);
  const turns = dropOldest(request.messages, counted.messages, room);
  if (turns === undefined || turns.dropped.length === 0) return undefined;
  const model = overflow.summarize_with!;
  return async () => {
    let summary: Summary;
    try {
      summary = await summarize(ctx, model, turns.dropped.map((index) => request.messages[index]!), overflow.summary_max_tokens);
    } catch {
      // The summary is a nicety: when the cheap model fails, dropping the turns still answers the request.
      return plan.dropped;
    }
    ctx.summaryCall = { model, usage: summary.usage, costUsd: summary.costUsd };
    if (summary.text === '') return plan.dropped;
    const message: ChatMessage = { role: 'system', content: SUMMARY_PREFIX + summary.text };
    const kept = turns.kept.map((index) => request.messages[index]!);
    const at = kept.findIndex((kept) => kept.role !== 'system' && kept.role !== 'developer');
    kept.splice(at === -1 ? kept.length : at, 0, message);
    const input = counted.fixed + turns.tokens + countMessageTokens(message, count);
    // A summariser that ignored its limit (or counts differently) must not push the request over the window.
    if (input + overflow.min_output_tokens > plan.window) return plan.dropped;
    ctx.trimmedMessages = turns.dropped.length;
    return withinWindow({ ...request, messages: kept }, plan.window, input, plan.maxOutput);
  };
}

/**
 * The usual case, decided without counting or waiting: the model's window is unknown, or the request's byte bound
 * on tokens (bytes bound tokens from above) fits with its output, which is within the model's maximum. Such a
 * request goes on unchanged.
 */
export function fitsUncounted(request: ChatRequest, model: ModelRoute): boolean {
  const window = model.contextWindow;
  if (window === undefined) return true;
  const maxOutput = model.maxOutputTokens;
  const requested = requestedOutput(request);
  const wanted = Math.max(requested ?? 0, (model.contextOverflow ?? rejectByDefault).min_output_tokens);
  return upperBound(request) + wanted <= window && (maxOutput === undefined || requested === undefined || requested <= maxOutput);
}

export function tokenBudget(summarize: Summarize) {
  return async function fitToContext(ctx: GatewayContext, request: ChatRequest, model: ModelRoute): Promise<FittedRequest> {
    const window = model.contextWindow;
    if (window === undefined || fitsUncounted(request, model)) return { request };
    const overflow = model.contextOverflow ?? rejectByDefault;
    const maxOutput = model.maxOutputTokens;
    const requested = requestedOutput(request);

    const count = await tokenCounter(encodingOf(model));
    const counted = countChatTokens(request, count);
    let input = counted.total;
    if (input + overflow.min_output_tokens > window) {
      if (overflow.strategy === 'reject') {
        if (model.fallbacksOn.context_length_exceeded.length > 0) return { request, inputTokens: input };
        throw contextTooLong(window, input, requested, 'messages');
      }
      const budget = window - overflow.min_output_tokens - counted.fixed;
      const plan = trim(request.messages, counted.messages, budget, overflow);
      if (plan === undefined) {
        throw contextTooLong(window, input, requested, 'messages', ` Trimming (${overflow.strategy}) cannot make it fit: the system messages and the last turn alone are too long.`);
      }
      input = counted.fixed + plan.tokens;
      ctx.trimmedMessages = plan.dropped.length;
      const dropped = withinWindow({ ...request, messages: plan.kept.map((index) => request.messages[index]!) }, window, input, maxOutput);
      const step =
        overflow.strategy === 'summarize'
          ? summaryStep({ ctx, request, counted, budget, window, maxOutput, overflow, count, dropped }, summarize)
          : undefined;
      return { request: dropped, inputTokens: input, ...(step === undefined ? {} : { summarize: step }) };
    }
    return { request: withinWindow(request, window, input, maxOutput), inputTokens: input };
  };
}
