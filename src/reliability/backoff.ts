/**
 * How long to wait before a retry (DESIGN.md §4): exponential backoff with full jitter, unless the upstream said
 * how long to wait. Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter") spreads retries of many
 * callers evenly over [0, cap), so a burst of failures does not come back as a synchronised burst of retries.
 */
import type { z } from 'zod';
import type { retrySchema } from '../config/resilience-schema.js';
import type { GatewayError } from '../core/errors.js';

export interface BackoffPolicy {
  /** Upper bound of the first retry's delay; doubles with each further retry. */
  baseDelayMs: number;
  /** No retry waits longer than this (before jitter). */
  maxDelayMs: number;
}

export function backoffPolicyFromConfig(retries: z.output<typeof retrySchema>): BackoffPolicy {
  return { baseDelayMs: retries.base_delay_ms, maxDelayMs: retries.max_delay_ms };
}

/**
 * random() × min(maxDelayMs, baseDelayMs × 2^(retry − 1)), where `retry` is 1 for the first retry.
 * `random` returns values in [0, 1), like Math.random.
 */
export function backoffDelayMs(retry: number, policy: BackoffPolicy, random: () => number): number {
  if (!Number.isInteger(retry) || retry < 1) throw new RangeError(`retry must be an integer ≥ 1, got ${retry}`);
  // base 0 would make 0 × 2^1024 = NaN for absurd retry counts; there is nothing to wait for anyway.
  if (policy.baseDelayMs <= 0 || policy.maxDelayMs <= 0) return 0;
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return random() * cap;
}

/**
 * The delay before retrying after `error`. An upstream's retry-after / retry-after-ms wins and is used exactly,
 * without jitter: it knows when it will accept traffic again. Whether that wait still fits the request's
 * deadline is the caller's decision.
 */
export function retryDelayMs(error: GatewayError, retry: number, policy: BackoffPolicy, random: () => number): number {
  const asked = error.retryAfterSeconds;
  if (asked !== undefined && Number.isFinite(asked) && asked >= 0) return asked * 1000;
  return backoffDelayMs(retry, policy, random);
}
