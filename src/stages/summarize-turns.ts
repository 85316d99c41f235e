/**
 * The `summarize` overflow strategy's one call: the dropped turns go to the configured cheap model (or alias)
 * through the gateway's own routing — fallbacks, retries, breakers and deadline included — and come back as a
 * few sentences. Bounded: the transcript is cut to its most recent part, the answer to `maxTokens`, the call to
 * the request's own deadline (and at most 30 s).
 */
import { createContext, type GatewayContext } from '../core/context.js';
import type { ChatMessage, ChatRequest } from '../core/openai-schema.js';
import { runAttempts } from '../reliability/attempts.js';
import type { Resilience } from '../reliability/resilience.js';
import { FallbackChain } from '../routing/fallback-chain.js';
import { resolveModel } from '../routing/resolve.js';
import type { RouteTable } from '../routing/route-table.js';

export type Summarize = (ctx: GatewayContext, model: string, turns: readonly ChatMessage[], maxTokens: number) => Promise<string>;

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

export function summarizeThroughGateway(routes: () => RouteTable, resilience: Resilience): Summarize {
  return async (ctx, model, turns, maxTokens) => {
    const table = routes();
    const chain = new FallbackChain(table, resolveModel(table, model, resilience.random), 'chat', resilience.random);
    // Its own context, so the caller's attempts, usage and served model stay the caller's request's.
    const call = createContext(`${ctx.requestId}-summary`, 'chat', ctx.signal);
    call.deadlineAt = Math.min(ctx.deadlineAt, call.startedAt + SUMMARY_TIMEOUT_MS);
    call.priority = ctx.priority;
    call.caller = ctx.caller;
    const request: ChatRequest = {
      model,
      messages: [
        { role: 'system', content: INSTRUCTIONS },
        { role: 'user', content: transcriptOf(turns) },
      ],
      max_tokens: maxTokens,
      temperature: 0,
    };
    const served = await runAttempts(call, chain, resilience, (candidate, upstream) => candidate.deployment.adapter.chat(request, upstream));
    served.settle(true);
    const summary = served.value.choices[0]?.message.content;
    if (typeof summary !== 'string' || summary.trim() === '') throw new Error(`the summary from ${model} was empty`);
    return summary.trim();
  };
}
