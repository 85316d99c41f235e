/**
 * The rate-limit store: one interface, a memory implementation (one node) and a Redis one (a cluster, exact
 * across replicas), each with either algorithm (GCRA or sliding window). All run the contract suite in
 * `test/contract/rate-limiters.test.ts`.
 */
import type { Availability } from '../core/availability.js';
import type { RateDecision } from './gcra.js';

export type { RateDecision } from './gcra.js';

/** `key` names the limit, e.g. `key:<keyId>:rpm` or `tenant:<tenantId>:rpm`; the store adds its namespace. */
export interface RateCheck {
  readonly key: string;
  /** Allowed per minute. */
  readonly limit: number;
  /** What this request uses of it: 1 for requests/min, the token estimate for tokens/min. */
  readonly cost: number;
}

export interface RateOutcome {
  /** Every check had room, and each was charged. When false none was charged. */
  readonly allowed: boolean;
  /** One per check, same order. */
  readonly decisions: readonly RateDecision[];
  /**
   * Names what this check charged, for `adjust` to correct that same charge later (sliding window: it leaves the
   * window with the charge). Absent when nothing was charged or the algorithm does not need it (GCRA).
   */
  readonly charge?: string;
}

export interface ConcurrencyCheck {
  readonly key: string;
  /** Requests allowed in flight at once. */
  readonly limit: number;
}

export interface ConcurrencyDecision {
  readonly allowed: boolean;
  readonly limit: number;
  /** Slots in use: after this acquisition when allowed, as found when refused. */
  readonly active: number;
}

export interface ConcurrencyOutcome {
  /** Every limit had a free slot and the lease holds one in each. When false it holds none. */
  readonly allowed: boolean;
  readonly decisions: readonly ConcurrencyDecision[];
}

export interface AdmissionOutcome {
  /** Every slot and every rate had room: the lease holds its slots and the rates were charged. Else nothing was taken. */
  readonly allowed: boolean;
  /** Whether each slot had room (`allowed`: all of them); `active` as after taking when all was taken. */
  readonly slots: ConcurrencyOutcome;
  /** Whether each rate had room (`allowed`: all of them); `charge` present only when all was taken. */
  readonly rates: RateOutcome;
}

export interface RateLimiter {
  /** Whether the store answers; absent for stores that cannot fail (memory). */
  readonly availability?: Availability;
  /** All or nothing: a request refused by one limit does not use up the others. */
  check(checks: readonly RateCheck[]): Promise<RateOutcome>;
  /**
   * Adds each check's cost (negative: gives it back) without refusing: reconciles a reservation. `charge` (from
   * the check's outcome) names the charge to correct; without it, or once that charge has left the window, a
   * positive cost is charged now and a negative one has nothing left to give back (sliding window).
   */
  adjust(checks: readonly RateCheck[], charge?: string): Promise<void>;
  /**
   * Takes a slot in every limit for `leaseId`, all or nothing. The slots expire after `ttlMs` even if never
   * released, so a replica that crashed mid-request does not hold them for ever.
   */
  acquire(checks: readonly ConcurrencyCheck[], leaseId: string, ttlMs: number): Promise<ConcurrencyOutcome>;
  /**
   * `acquire` and `check` as one all-or-nothing step: what a request does when it arrives (a shared store makes
   * it one round trip and one atomic step). Either list may be empty.
   */
  admit(slots: readonly ConcurrencyCheck[], leaseId: string, ttlMs: number, checks: readonly RateCheck[]): Promise<AdmissionOutcome>;
  /** Gives back `leaseId`'s slots. Idempotent. */
  release(keys: readonly string[], leaseId: string): Promise<void>;
  /**
   * `release` then `adjust`, in one call: what a request does when it ends (a shared store makes it one round
   * trip and one atomic step). Either part may be empty.
   */
  releaseAndAdjust(keys: readonly string[], leaseId: string, checks: readonly RateCheck[], charge?: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * `gcra`: smooth, one number per limit, refills continuously (N at once, then one every 60/N s).
 * `sliding_window`: exact, at most N in any trailing minute, one entry per charge in the window.
 */
export type RateAlgorithm = 'gcra' | 'sliding_window';

/** Wall-clock milliseconds (shared across replicas, unlike `performance.now()`); injectable for tests. */
export type WallClock = () => number;
