/** Response builders shared by every endpoint family: JSON bodies, error envelopes, gateway headers. */
import type { GatewayContext } from '../core/context.js';
import { anthropicErrorBody, openAIErrorBody, type GatewayError } from '../core/errors.js';
import type { EdgeResponse } from './edge.js';
import { rateLimitHeaders } from '../limits/headers.js';
import { verbatimOf } from '../core/verbatim.js';

export type Dialect = 'openai' | 'anthropic';

/** `x-request-id` and the `x-switchyard-*` headers (DESIGN.md §2), added to `headers` (one object per response). */
export function gatewayHeaders(ctx: GatewayContext, headers: Record<string, string> = {}): Record<string, string> {
  headers['x-request-id'] = ctx.requestId;
  if (ctx.model !== undefined) headers['x-switchyard-model'] = ctx.model;
  if (ctx.provider !== undefined) headers['x-switchyard-provider'] = ctx.provider;
  if (ctx.attempts.length > 0) headers['x-switchyard-attempts'] = String(ctx.attempts.length);
  if (ctx.endpoint !== 'models' && ctx.endpoint !== 'admin') headers['x-switchyard-cache'] = ctx.cache;
  if (ctx.costUsd !== undefined) headers['x-switchyard-cost-usd'] = ctx.costUsd.toFixed(8);
  if (ctx.degraded) headers['x-switchyard-degraded'] = 'true';
  if (ctx.budgetDowngradedFrom !== undefined) headers['x-switchyard-budget-downgraded-from'] = ctx.budgetDowngradedFrom;
  if (ctx.trimmedMessages !== undefined) headers['x-switchyard-trimmed'] = String(ctx.trimmedMessages);
  if (ctx.rateLimits !== undefined) Object.assign(headers, rateLimitHeaders(ctx.rateLimits));
  return headers;
}

export function jsonResponse(ctx: GatewayContext, status: number, body: unknown): EdgeResponse {
  return {
    status,
    headers: gatewayHeaders(ctx, { 'content-type': 'application/json' }),
    // An upstream's answer the gateway did not change goes out as the upstream's own text (core/verbatim.ts).
    body: verbatimOf(body) ?? JSON.stringify(body),
  };
}

export function errorResponse(ctx: GatewayContext, error: GatewayError, dialect: Dialect): EdgeResponse {
  ctx.errorCode = error.code;
  const response = jsonResponse(ctx, error.status, dialect === 'anthropic' ? anthropicErrorBody(error, ctx.requestId) : openAIErrorBody(error));
  if (error.retryAfterSeconds !== undefined && (error.status === 429 || error.status === 503)) {
    response.headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterSeconds)));
  }
  return response;
}

export const sseHeaders = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  // Tells nginx-style proxies in front of the gateway not to buffer the stream.
  'x-accel-buffering': 'no',
};

const costTrailer = 'x-switchyard-cost-usd';

/** A stream's cost is known only at its end: offered as a trailer (the node:http edge sends it when chunked). */
export function sseResponse(ctx: GatewayContext, stream: AsyncIterable<string>): EdgeResponse {
  const trailers = {
    names: costTrailer,
    values: () => (ctx.costUsd === undefined ? undefined : { [costTrailer]: ctx.costUsd.toFixed(8) }),
  };
  return { status: 200, headers: gatewayHeaders(ctx, { ...sseHeaders }), stream, trailers };
}
