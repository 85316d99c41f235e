/**
 * The error catalogue: every failure the gateway reports has a stable code here, mapped to an HTTP status and
 * an OpenAI error `type`. Adapters and stages throw `GatewayError`; the edge renders it in the caller's dialect.
 */
export const errorCatalogue = {
  invalid_json: { status: 400, type: 'invalid_request_error' },
  invalid_request: { status: 400, type: 'invalid_request_error' },
  unsupported_parameter: { status: 400, type: 'invalid_request_error' },
  context_length_exceeded: { status: 400, type: 'invalid_request_error' },
  content_filtered: { status: 400, type: 'invalid_request_error' },
  invalid_api_key: { status: 401, type: 'authentication_error' },
  model_not_allowed: { status: 403, type: 'permission_error' },
  admin_disabled: { status: 403, type: 'permission_error' },
  permission_denied: { status: 403, type: 'permission_error' },
  not_found: { status: 404, type: 'invalid_request_error' },
  model_not_found: { status: 404, type: 'invalid_request_error' },
  method_not_allowed: { status: 405, type: 'invalid_request_error' },
  conflict: { status: 409, type: 'invalid_request_error' },
  request_too_large: { status: 413, type: 'invalid_request_error' },
  body_timeout: { status: 408, type: 'invalid_request_error' },
  unsupported_media_type: { status: 415, type: 'invalid_request_error' },
  rate_limited: { status: 429, type: 'rate_limit_error' },
  budget_exceeded: { status: 429, type: 'insufficient_quota' },
  upstream_rate_limited: { status: 429, type: 'rate_limit_error' },
  internal_error: { status: 500, type: 'server_error' },
  upstream_error: { status: 502, type: 'upstream_error' },
  upstream_bad_response: { status: 502, type: 'upstream_error' },
  upstream_auth_failed: { status: 502, type: 'upstream_error' },
  upstream_unavailable: { status: 503, type: 'upstream_error' },
  shutting_down: { status: 503, type: 'server_error' },
  limits_unavailable: { status: 503, type: 'server_error' },
  budget_unavailable: { status: 503, type: 'server_error' },
  store_unavailable: { status: 503, type: 'server_error' },
  overloaded: { status: 503, type: 'server_error' },
  upstream_timeout: { status: 504, type: 'timeout_error' },
  client_closed: { status: 499, type: 'client_error' },
} as const satisfies Record<string, { status: number; type: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

export interface GatewayErrorOptions {
  /** The request parameter at fault, OpenAI's `param` (e.g. `messages.0.role`). */
  param?: string | null;
  /** Whether another attempt (same or other deployment) may succeed. */
  retryable?: boolean;
  /** Seconds (fractional allowed) the upstream asked us to wait, from retry-after / retry-after-ms. */
  retryAfterSeconds?: number;
  /** HTTP status the upstream answered with, when the failure came from one. */
  upstreamStatus?: number;
  /** Overrides the catalogue status (e.g. to pass an upstream 4xx through unchanged). */
  status?: number;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly retryable: boolean;
  readonly retryAfterSeconds: number | undefined;
  readonly upstreamStatus: number | undefined;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = options.status ?? errorCatalogue[code].status;
    this.type = errorCatalogue[code].type;
    this.param = options.param ?? null;
    this.retryable = options.retryable ?? false;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.upstreamStatus = options.upstreamStatus;
  }
}

export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError;
}

/** Wraps anything thrown into a GatewayError without leaking internals to the caller. */
export function toGatewayError(value: unknown): GatewayError {
  if (value instanceof GatewayError) return value;
  if (value instanceof Error && value.name === 'AbortError') {
    return new GatewayError('client_closed', 'The request was aborted.', { cause: value });
  }
  return new GatewayError('internal_error', 'Internal gateway error.', { cause: value });
}

/** Why a request's signal fired: the overall deadline (504) or the client going away (499). */
export function abortedError(signal: AbortSignal): GatewayError {
  const reason: unknown = signal.reason;
  if (reason instanceof GatewayError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new GatewayError('upstream_timeout', 'The request exceeded its time limit.', { cause: reason });
  }
  return new GatewayError('client_closed', 'The client closed the request.', { cause: reason });
}

/**
 * Why a stream failed after its commit point. When the client itself left there is nobody to tell, so callers
 * stop quietly; a deadline or shutdown cut, or an upstream failure, is reported in-band.
 */
export function streamFailure(signal: AbortSignal, thrown: unknown): { error: GatewayError; tellClient: boolean } {
  if (!signal.aborted) return { error: toGatewayError(thrown), tellClient: true };
  const error = abortedError(signal);
  return { error, tellClient: error.code !== 'client_closed' };
}

/** OpenAI error envelope: `{ error: { message, type, param, code } }`. */
export function openAIErrorBody(error: GatewayError): { error: { message: string; type: string; param: string | null; code: string } } {
  return { error: { message: error.message, type: error.type, param: error.param, code: error.code } };
}

const anthropicTypeByStatus: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  502: 'api_error',
  503: 'overloaded_error',
  504: 'timeout_error',
};

/** Anthropic error envelope: `{ type: "error", error: { type, message }, request_id }`. */
export function anthropicErrorBody(
  error: GatewayError,
  requestId: string | null = null,
): { type: 'error'; error: { type: string; message: string }; request_id: string | null } {
  return {
    type: 'error',
    error: { type: anthropicTypeByStatus[error.status] ?? 'api_error', message: error.message },
    request_id: requestId,
  };
}

/** Parses `retry-after-ms` / `retry-after` (seconds or HTTP date) into seconds. */
export function parseRetryAfter(headers: { get(name: string): string | null }, now = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms) / 1000);
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  if (Number.isFinite(Number(value))) return Math.max(0, Number(value));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}
