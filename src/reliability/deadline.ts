/**
 * The request's overall deadline (DESIGN.md §4): the configured default, or what the caller asks for in
 * `x-switchyard-timeout-ms`, never more than the configured maximum. Attempts share it; each attempt's own
 * first-byte limit is cut to what is left of it.
 */
import { GatewayError } from '../core/errors.js';

export const timeoutHeader = 'x-switchyard-timeout-ms';

/**
 * The deadline in milliseconds for one request. A header that is not a positive integer is the caller's mistake
 * (400 `invalid_request`, `param` naming the header); a larger value than `maxMs` is clamped, not refused, so a
 * client written for another gateway's limits still works. The default is clamped the same way.
 */
export function resolveDeadlineMs(headerValue: string | undefined, defaultMs: number, maxMs: number): number {
  if (headerValue === undefined) return Math.min(defaultMs, maxMs);
  const text = headerValue.trim();
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value > 0)) {
    throw new GatewayError(
      'invalid_request',
      `The ${timeoutHeader} header must be a positive whole number of milliseconds; got ${JSON.stringify(headerValue.slice(0, 40))}.`,
      { param: timeoutHeader },
    );
  }
  return Math.min(value, maxMs);
}

/**
 * How long one attempt may wait for its first byte: the configured per-attempt limit, but never past the
 * request's deadline. 0 means the deadline has already passed: do not start the attempt.
 */
export function attemptFirstByteTimeoutMs(remainingMs: number, configuredMs: number | undefined): number {
  const remaining = Math.max(0, remainingMs);
  return configuredMs === undefined ? remaining : Math.min(remaining, configuredMs);
}
