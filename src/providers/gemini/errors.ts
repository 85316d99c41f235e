/**
 * Google's error envelope: `{ error: { code, message, status, details: [...] } }`. The canonical `status` and
 * the `details` say what the HTTP status alone does not: a bad API key is a 400, a token-limit overflow is an
 * ordinary INVALID_ARGUMENT, and the wait after a 429 is in a `RetryInfo` detail rather than a header.
 */
import { GatewayError } from '../../core/errors.js';
import { readUpstreamFailure, type UpstreamFailure } from '../../core/upstream-errors.js';
import type { UpstreamResponse } from '../../core/upstream-http.js';

export interface GeminiFailure extends Omit<UpstreamFailure, 'status' | 'retryAfterSeconds'> {
  /** The key was refused (API_KEY_INVALID arrives as a 400): a gateway configuration problem, not the caller's. */
  authFailed?: boolean;
  /** From a `google.rpc.RetryInfo` detail's `retryDelay` ("34.4s"). */
  retryDelaySeconds?: number;
}

const tokenLimitPattern = /exceeds the maximum number of tokens|input token count.*exceeds|context (window|length)/i;
const authStatuses = new Set(['PERMISSION_DENIED', 'UNAUTHENTICATED']);

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

export function describeGeminiError(body: unknown, _status: number): GeminiFailure {
  const envelope = asRecord(asRecord(body)?.error);
  if (envelope === undefined) return { message: typeof body === 'string' ? body : '' };
  const message = typeof envelope.message === 'string' ? envelope.message : '';
  const status = typeof envelope.status === 'string' ? envelope.status : '';
  const details = Array.isArray(envelope.details) ? envelope.details.map(asRecord) : [];
  const failure: GeminiFailure = { message };

  const delay = details.find((detail) => typeof detail?.retryDelay === 'string')?.retryDelay;
  const seconds = typeof delay === 'string' ? Number.parseFloat(delay) : Number.NaN;
  if (Number.isFinite(seconds)) failure.retryDelaySeconds = Math.max(0, seconds);

  if (status === 'RESOURCE_EXHAUSTED') failure.kind = 'rate_limited';
  else if (status === 'UNAVAILABLE') failure.kind = 'overloaded';
  else if (status === 'INVALID_ARGUMENT' && tokenLimitPattern.test(message)) failure.kind = 'context_length_exceeded';
  if (authStatuses.has(status) || details.some((detail) => detail?.reason === 'API_KEY_INVALID')) failure.authFailed = true;
  return failure;
}

/** readUpstreamFailure plus what only Google's envelope carries (RetryInfo, API_KEY_INVALID). */
export async function readGeminiFailure(provider: string, response: UpstreamResponse): Promise<GatewayError> {
  let failure: GeminiFailure = { message: '' };
  const error = await readUpstreamFailure(provider, response, (body, status) => {
    failure = describeGeminiError(body, status);
    return { message: failure.message, kind: failure.kind };
  });
  const retryAfterSeconds = error.retryAfterSeconds ?? failure.retryDelaySeconds;
  const authFailed = failure.authFailed === true && error.code !== 'upstream_auth_failed';
  if (!authFailed && retryAfterSeconds === error.retryAfterSeconds) return error;
  return new GatewayError(authFailed ? 'upstream_auth_failed' : error.code, error.message, {
    retryable: authFailed ? false : error.retryable,
    retryAfterSeconds,
    upstreamStatus: error.upstreamStatus,
    cause: error,
  });
}
