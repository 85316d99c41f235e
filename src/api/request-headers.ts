/** Gateway request headers read by dispatch: the overall time limit and the queue priority. */
import { GatewayError } from '../core/errors.js';
import { resolveDeadlineMs } from '../reliability/deadline.js';

export interface TimeoutSettings {
  server: { request_timeout_ms: number };
  resilience: { max_request_timeout_ms: number };
}

/** `x-switchyard-timeout-ms` when given (clamped to the configured maximum), else `server.request_timeout_ms`. */
export function requestTimeoutMs(headerValue: string | undefined, settings: TimeoutSettings): number {
  return resolveDeadlineMs(headerValue, settings.server.request_timeout_ms, settings.resilience.max_request_timeout_ms);
}

/** `x-switchyard-priority`: an integer 0–9 (default 0) ordering waiters at a capped deployment; higher first. */
export function requestPriority(headerValue: string | undefined): number {
  if (headerValue === undefined) return 0;
  const value = headerValue.trim();
  if (!/^\d$/.test(value)) {
    throw new GatewayError('invalid_request', `Invalid x-switchyard-priority header "${headerValue.slice(0, 40)}": expected an integer 0-9.`, {
      param: 'x-switchyard-priority',
    });
  }
  return Number(value);
}
