/**
 * The `summarize` overflow strategy's one call: the dropped turns go to the configured cheap model (or alias)
 * through the gateway's own routing — fallbacks, retries, breakers and deadline included — and come back as a
 * few sentences. Bounded: the transcript is cut to its most recent part, the answer to `maxTokens`, the call to
 * half of the time left before the request's own deadline (so the answer still has the other half), at most 30 s.
 *
 * It runs as the caller: the caller's priority and identity, but no model-access check — the operator chose the
 * summariser in the config, so a key restricted to the trimmed model may still have its turns summarised. Its
 * usage and cost come back to be charged to the caller's request (token-budget.ts); it is metered as a `chat`
 * request of its own model (`record`), never as a request-log record of its own.
 */
import { createContext, type GatewayContext } from '../core/context.js';
import { toGatewayError } from '../core/errors.js';
import type { ChatMessage, ChatRequest } from '../core/openai-schema.js';
import type { Usage } from '../core/openai-types.js';
import { costOf } from '../core/pricing.js';
import { runAttempts } from '../reliability/attempts.js';
import type { Resilience } from '../reliability/resilience.js';
import { FallbackChain } from '../routing/fallback-chain.js';
import { resolveModel } from '../routing/resolve.js';
import type { RouteTable } from '../routing/route-table.js';

export interface Summary {
  /** Empty when the model answered nothing. */
  text: string;
  /** The summariser's reported usage, when it reported one. */
  usage?: Usage;
  /** What the call cost at the serving deployment's price, when both are known. */
  costUsd?: number;
}

export type Summarize = (ctx: GatewayContext, model: string, turns: readonly ChatMessage[], maxTokens: number) => Promise<Summary>;

/** Meters the summary call once it is over (the gateway's request metrics); `status` 200 or the error's. */
export type RecordSummaryCall = (call: GatewayContext, status: number, errorCode?: string) => void;

/** About 16k tokens of transcript: enough context for a summary, small enough for any cheap model. */
const MAX_TRANSCRIPT_CHARS = 64_000;
const SUMMARY_TIMEOUT_MS = 30_000;

const INSTRUCTIONS =
  'Summarize the following earlier part of a conversation so it can replace it. Keep facts, names, numbers, ' +
  'decisions, open questions and what each tool returned. Write only the summary, in the language of the conversation.';

function textOf(message: ChatMessage): string {
  const { content } = message;
  let text = typeof content === 'string' ? content : (content ?? []).map((part) => ('text' in part ? part.text : `[${part.type}]`)).join(' ');
  if (message.role === 'assistant') {
    for (const call of message.tool_calls ?? []) text += ` [called ${call.function.name}(${call.function.arguments})]`;
  }
  return text;
}

/** The turns as `role: text` lines, the most recent `MAX_TRANSCRIPT_CHARS` of them. */
export function transcriptOf(turns: readonly ChatMessage[]): string {
  const transcript = turns.map((message) => `${message.role}: ${textOf(message)}`).join('\n');
  return transcript.length <= MAX_TRANSCRIPT_CHARS ? transcript : `…${transcript.slice(-MAX_TRANSCRIPT_CHARS)}`;
}

export function summarizeThroughGateway(routes: () => RouteTable, resilience: Resilience, record?: RecordSummaryCall): Summarize {
  return async (ctx, model, turns, maxTokens) => {
    const table = routes();
    const chain = new FallbackChain(table, resolveModel(table, model, resilience.random), 'chat', resilience.random);
    // Its own context, so the caller's attempts, usage and served model stay the caller's request's.
    const call = createContext(`${ctx.requestId}-summary`, 'chat', ctx.signal);
    call.deadlineAt = call.startedAt + Math.min(SUMMARY_TIMEOUT_MS, Math.max(0, (ctx.deadlineAt - call.startedAt) / 2));
    call.priority = ctx.priority;
    call.caller = ctx.caller;
    call.requestedModel = model;
    const request: ChatRequest = {
      model,
      messages: [
        { role: 'system', content: INSTRUCTIONS },
        { role: 'user', content: transcriptOf(turns) },
      ],
      max_tokens: maxTokens,
      temperature: 0,
    };
    try {
      const served = await runAttempts(call, chain, resilience, (candidate, upstream) => candidate.deployment.adapter.chat(request, upstream));
      served.settle(true);
      call.model = served.candidate.model.name;
      call.provider = served.candidate.deployment.adapter.name;
      const usage = served.value.usage as Usage | undefined;
      const price = served.candidate.deployment.prices?.at(Date.now());
      call.usage = usage;
      record?.(call, 200);
      const text = served.value.choices[0]?.message.content;
      // An empty answer is still paid for: the caller decides what to do with it, the cost is charged either way.
      return {
        text: typeof text === 'string' ? text.trim() : '',
        usage,
        costUsd: usage !== undefined && price !== undefined ? costOf(usage, price) : undefined,
      };
    } catch (thrown) {
      if (call.model === undefined) {
        const error = toGatewayError(thrown);
        record?.(call, error.status, error.code);
      }
      throw thrown;
    }
  };
}
