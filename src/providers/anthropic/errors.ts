/** Anthropic's error envelope `{ type: "error", error: { type, message } }`, over HTTP and inside streams. */
import { GatewayError } from '../../core/errors.js';
import { readUpstreamFailure, upstreamError, type UpstreamFailure } from '../../core/upstream-errors.js';
import type { UpstreamResponse } from '../../core/upstream-http.js';
import { asRecord, asString } from './wire.js';

/** The HTTP status Anthropic pairs with each error type; stream `error` events carry only the type. */
const statusByType: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

// "prompt is too long: 208443 tokens > 200000 maximum"; "input length and `max_tokens` exceed context limit: …".
const contextLengthPattern = /prompt is too long|exceed(s)? (the )?context (limit|window)/i;

function envelopeOf(body: unknown): { type: string; message: string } {
  const error = asRecord(asRecord(body)?.error);
  return {
    type: asString(error?.type) ?? '',
    message: asString(error?.message) ?? (typeof body === 'string' ? body : ''),
  };
}

export function describeAnthropicError(body: unknown, status: number): Omit<UpstreamFailure, 'status' | 'retryAfterSeconds'> {
  const { type, message } = envelopeOf(body);
  // 529 is Anthropic's own "overloaded" status: capacity, not a fault, so retry or fall back.
  if (type === 'overloaded_error' || status === 529) return { message, kind: 'overloaded' };
  if (type === 'rate_limit_error') return { message, kind: 'rate_limited' };
  if ((status === 400 || status === 413) && contextLengthPattern.test(message)) {
    return { message, kind: 'context_length_exceeded' };
  }
  return { message };
}

/** Classifies a failed HTTP response. */
export async function anthropicFailure(provider: string, response: UpstreamResponse): Promise<GatewayError> {
  const error = await readUpstreamFailure(provider, response, describeAnthropicError);
  // 402 billing_error is the gateway's account problem, not the caller's request: never show it as a 400.
  if (error.upstreamStatus !== 402) return error;
  return new GatewayError('upstream_auth_failed', error.message, { upstreamStatus: 402, cause: error });
}

/** Classifies an `event: error` that arrives inside a stream (e.g. overloaded after the headers were sent). */
export function streamErrorOf(provider: string, payload: unknown): GatewayError {
  const { type } = envelopeOf(payload);
  const status = statusByType[type] ?? 500;
  const described = describeAnthropicError(payload, status);
  return upstreamError(provider, { ...described, status, message: described.message || type || 'stream error' });
}
