/**
 * GCRA (generic cell rate algorithm), the rate-limit maths both limiters share (DESIGN.md §6). One number per
 * limit, the theoretical arrival time (`tat`): when the limit would be back to full if nothing else arrived.
 * A limit of N per period lets N through at once from full, then one every period/N. Pure: no clock, no I/O;
 * the Redis Lua script in `redis-limiter.ts` is this same step, written in Lua so it runs atomically.
 */

export const MINUTE_MS = 60_000;

export interface RateDecision {
  /** Whether this limit had room for the cost. */
  readonly allowed: boolean;
  readonly limit: number;
  /** What is left after this check (after the cost, when allowed). */
  readonly remaining: number;
  /** ms until the limit is back to full. */
  readonly resetMs: number;
  /** ms until a request of this cost would be allowed; 0 when allowed. */
  readonly retryAfterMs: number;
}

export interface GcraStep {
  readonly decision: RateDecision;
  /** The new theoretical arrival time to store (unchanged when refused). */
  readonly tat: number;
}

// Emission intervals like 60000/7 are not exact in binary: a hair of slack keeps `remaining` from rounding down.
const EPSILON = 1e-6;

/**
 * One check of `cost` against `limit` per `periodMs` at time `now` (ms), given the stored `tat` (undefined: the
 * limit was never used or its record expired).
 */
export function gcra(tat: number | undefined, now: number, limit: number, cost: number, periodMs = MINUTE_MS): GcraStep {
  const interval = periodMs / limit;
  const base = Math.max(tat ?? now, now);
  const next = base + cost * interval;
  const allowAt = next - periodMs;
  const allowed = now >= allowAt;
  // Refused: nothing is charged, the stored tat stays.
  const stored = allowed ? next : base;
  return {
    tat: stored,
    decision: {
      allowed,
      limit,
      remaining: Math.max(0, Math.floor((now + periodMs - stored) / interval + EPSILON)),
      resetMs: Math.ceil(stored - now),
      retryAfterMs: allowed ? 0 : Math.ceil(allowAt - now),
    },
  };
}

/**
 * Corrects an earlier charge by `cost` (negative: give back) without refusing: reconciling a token reservation
 * with the usage the provider reported. Returns the tat to store; undefined when the limit is full again.
 */
export function gcraAdjust(tat: number | undefined, now: number, limit: number, cost: number, periodMs = MINUTE_MS): number | undefined {
  const next = Math.max(tat ?? now, now) + cost * (periodMs / limit);
  return next > now ? next : undefined;
}
