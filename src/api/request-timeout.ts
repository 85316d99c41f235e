/** The request's overall time limit: `x-switchyard-timeout-ms` when given (capped), else `server.request_timeout_ms`. */
import { GatewayError } from '../core/errors.js';

export interface TimeoutSettings {
  server: { request_timeout_ms: number };
  resilience: { max_request_timeout_ms: number };
}

export function requestTimeoutMs(headerValue: string | undefined, settings: TimeoutSettings): number {
  if (headerValue === undefined) return settings.server.request_timeout_ms;
  const value = headerValue.trim();
  const ms = /^\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
  if (!(ms > 0)) {
    throw new GatewayError('invalid_request', `Invalid x-switchyard-timeout-ms header "${headerValue.slice(0, 40)}": expected a positive integer of milliseconds.`, {
      param: 'x-switchyard-timeout-ms',
    });
  }
  return Math.min(ms, settings.resilience.max_request_timeout_ms);
}
