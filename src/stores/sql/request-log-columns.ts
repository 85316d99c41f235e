/** The request_log table's columns in table order: the record's field, the column, and its SQL type. */
import type { RequestLogRecord } from '../request-log.js';

export const requestLogColumns: readonly (readonly [keyof RequestLogRecord, string, string])[] = [
  ['id', 'id', 'text'],
  ['requestId', 'request_id', 'text'],
  ['time', 'time', 'timestamptz'],
  ['tenantId', 'tenant_id', 'text'],
  ['keyId', 'key_id', 'text'],
  ['endpoint', 'endpoint', 'text'],
  ['requestedModel', 'requested_model', 'text'],
  ['model', 'model', 'text'],
  ['provider', 'provider', 'text'],
  ['status', 'status', 'integer'],
  ['errorCode', 'error_code', 'text'],
  ['attempts', 'attempts', 'integer'],
  ['latencyMs', 'latency_ms', 'double precision'],
  ['ttftMs', 'ttft_ms', 'double precision'],
  ['inputTokens', 'input_tokens', 'integer'],
  ['outputTokens', 'output_tokens', 'integer'],
  ['costUsd', 'cost_usd', 'double precision'],
  ['cache', 'cache', 'text'],
  ['degraded', 'degraded', 'boolean'],
  ['trimmedMessages', 'trimmed_messages', 'integer'],
  ['requestBody', 'request_body', 'text'],
  ['responseBody', 'response_body', 'text'],
];
