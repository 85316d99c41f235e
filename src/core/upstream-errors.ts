/** One mapping from an upstream HTTP failure to the catalogue; adapters add what only their dialect says. */
import { GatewayError, parseRetryAfter, type ErrorCode } from './errors.js';
import type { UpstreamResponse } from './upstream-http.js';

export interface UpstreamFailure {
  status: number;
  /** The upstream's own message, already extracted from its error envelope. */
  message: string;
  /** Adapter-detected meaning that the status alone does not carry. */
  kind?: 'context_length_exceeded' | 'content_filtered' | 'rate_limited' | 'overloaded';
  retryAfterSeconds?: number;
}

function codeFor(failure: UpstreamFailure): { code: ErrorCode; retryable: boolean; status?: number } {
  if (failure.kind === 'context_length_exceeded') return { code: 'context_length_exceeded', retryable: false };
  if (failure.kind === 'content_filtered') return { code: 'content_filtered', retryable: false };
  if (failure.kind === 'rate_limited') return { code: 'upstream_rate_limited', retryable: true };
  if (failure.kind === 'overloaded') return { code: 'upstream_unavailable', retryable: true };
  const { status } = failure;
  if (status === 401 || status === 403) return { code: 'upstream_auth_failed', retryable: false };
  if (status === 408) return { code: 'upstream_timeout', retryable: true };
  if (status === 409) return { code: 'upstream_error', retryable: true };
  if (status === 413) return { code: 'request_too_large', retryable: false };
  if (status === 429) return { code: 'upstream_rate_limited', retryable: true };
  if (status === 503 || status === 529) return { code: 'upstream_unavailable', retryable: true };
  if (status === 504) return { code: 'upstream_timeout', retryable: true };
  if (status >= 500) return { code: 'upstream_error', retryable: true };
  if (status === 404) return { code: 'upstream_error', retryable: false };
  // Other 4xx: the request itself was refused; the caller can fix it, so show it as a 400.
  return { code: 'invalid_request', retryable: false };
}

export function upstreamError(provider: string, failure: UpstreamFailure): GatewayError {
  const { code, retryable } = codeFor(failure);
  return new GatewayError(code, `Upstream ${provider} returned ${failure.status}: ${failure.message}`, {
    retryable,
    retryAfterSeconds: failure.retryAfterSeconds,
    upstreamStatus: failure.status,
  });
}

/**
 * Reads a failed upstream response and classifies it. `describe` pulls the message (and any meaning only the
 * dialect carries) out of the parsed body.
 */
export async function readUpstreamFailure(
  provider: string,
  response: UpstreamResponse,
  describe: (body: unknown, status: number) => Omit<UpstreamFailure, 'status' | 'retryAfterSeconds'>,
): Promise<GatewayError> {
  let text = '';
  try {
    text = await response.text();
  } catch {
    // The status alone still classifies the failure.
  }
  let body: unknown = text;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    // Not JSON (an HTML error page from a proxy, say): describe() gets the text.
  }
  const described = describe(body, response.status);
  const message = described.message.trim() === '' ? `HTTP ${response.status}` : described.message.slice(0, 1000);
  return upstreamError(provider, {
    ...described,
    message,
    status: response.status,
    retryAfterSeconds: parseRetryAfter(response.headers),
  });
}

/** Stream ended without the upstream's end marker: the answer is incomplete and must not look complete. */
export function truncatedStreamError(provider: string): GatewayError {
  return new GatewayError('upstream_bad_response', `Upstream ${provider} closed the stream before it completed.`, {
    retryable: true,
  });
}

export function malformedStreamError(provider: string, detail: string): GatewayError {
  return new GatewayError('upstream_bad_response', `Upstream ${provider} sent a malformed stream event: ${detail}`, {
    retryable: true,
  });
}
