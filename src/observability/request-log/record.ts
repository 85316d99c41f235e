/**
 * One request's log record, read off its GatewayContext when its last byte is out. Only what the context already
 * holds: ids, models, status, timings, usage, cost — never headers, never the caller's key.
 */
import type { GatewayContext } from '../../core/context.js';
import { newLogId, type RequestLogRecord } from '../../stores/request-log.js';

export interface LoggedBodies {
  request: string | null;
  response: string | null;
}

export function requestLogRecord(ctx: GatewayContext, status: number, bodies: LoggedBodies | undefined): RequestLogRecord {
  const latencyMs = performance.now() - ctx.startedAt;
  const arrivedAt = Date.now() - latencyMs;
  const caller = ctx.caller?.kind === 'key' ? ctx.caller : undefined;
  return {
    id: newLogId(),
    requestId: ctx.requestId,
    time: new Date(arrivedAt),
    tenantId: caller?.tenant.id ?? null,
    keyId: caller?.key.id ?? null,
    endpoint: ctx.endpoint,
    requestedModel: ctx.requestedModel ?? null,
    model: ctx.model ?? null,
    provider: ctx.provider ?? null,
    status,
    errorCode: ctx.errorCode ?? null,
    attempts: ctx.attempts.length,
    latencyMs,
    ttftMs: ctx.ttftMs ?? null,
    inputTokens: ctx.usage?.prompt_tokens ?? null,
    outputTokens: ctx.usage?.completion_tokens ?? null,
    costUsd: ctx.costUsd ?? null,
    cache: ctx.cache,
    degraded: ctx.degraded === true,
    trimmedMessages: ctx.trimmedMessages ?? null,
    requestBody: bodies?.request ?? null,
    responseBody: bodies?.response ?? null,
  };
}

/** The record as JSON (snake_case): one stdout line, one item of the admin API's list. */
export function requestLogJson(record: RequestLogRecord) {
  return {
    id: record.id,
    request_id: record.requestId,
    time: record.time.toISOString(),
    tenant_id: record.tenantId,
    key_id: record.keyId,
    endpoint: record.endpoint,
    requested_model: record.requestedModel,
    model: record.model,
    provider: record.provider,
    status: record.status,
    error_code: record.errorCode,
    attempts: record.attempts,
    latency_ms: record.latencyMs,
    ttft_ms: record.ttftMs,
    input_tokens: record.inputTokens,
    output_tokens: record.outputTokens,
    cost_usd: record.costUsd,
    cache: record.cache,
    degraded: record.degraded,
    trimmed_messages: record.trimmedMessages,
    request_body: record.requestBody,
    response_body: record.responseBody,
  };
}

export type RequestLogJson = ReturnType<typeof requestLogJson>;

export function requestLogLine(record: RequestLogRecord): string {
  return `${JSON.stringify({ type: 'request', ...requestLogJson(record) })}\n`;
}
