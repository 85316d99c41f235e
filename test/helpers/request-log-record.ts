/** A request log record for store tests: plausible values, any field overridden. */
import { newLogId, type RequestLogRecord } from '../../src/stores/request-log.js';

export function logRecord(overrides: Partial<RequestLogRecord> = {}): RequestLogRecord {
  return {
    id: newLogId(),
    requestId: `req-${Math.random().toString(36).slice(2)}`,
    time: new Date(),
    tenantId: null,
    keyId: null,
    endpoint: 'chat',
    requestedModel: 'fast',
    model: 'sim-small',
    provider: 'sim',
    status: 200,
    errorCode: null,
    attempts: 1,
    latencyMs: 12.5,
    ttftMs: 3.25,
    inputTokens: 10,
    outputTokens: 20,
    costUsd: 0.000123,
    cache: 'miss',
    degraded: false,
    trimmedMessages: null,
    requestBody: null,
    responseBody: null,
    ...overrides,
  };
}
