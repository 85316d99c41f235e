/**
 * The budget counter store: per budget and period, what was spent and what in-flight requests hold reserved, in
 * whole nano-dollars. One interface, a memory implementation (one node) and a Redis one (shared by every replica,
 * one Lua script per call); both pass `test/contract/budget-counters.test.ts`.
 *
 * A reservation belongs to a lease (one request). It is released when the request settles, or when the lease
 * expires (its replica died mid-request), so a crash never holds budget for the rest of the period.
 */
import type { Availability } from '../core/availability.js';

export interface BudgetLine {
  /** `key:<keyId>:<period>` or `tenant:<tenantId>:<period>`; the store adds its namespace. */
  readonly key: string;
  /** The budget, nano-dollars. */
  readonly limit: number;
  /** Keep the counter at least this long (until its period is over, plus a margin). */
  readonly ttlMs: number;
}

export interface Reservation extends BudgetLine {
  /** Nano-dollars to hold for the request. */
  readonly amount: number;
  /** Refuse unless spent + reserved + amount stays within the limit; false: reserve whatever (a downgraded request). */
  readonly mustFit: boolean;
}

export interface BudgetState {
  readonly spent: number;
  readonly reserved: number;
}

export interface ReserveOutcome {
  /** Every line that must fit did, and each line holds its amount for the lease. When false none was reserved. */
  readonly allowed: boolean;
  /** One per line, same order: after the reservation when allowed, as found when refused. */
  readonly states: readonly BudgetState[];
}

export interface Settlement extends BudgetLine {
  /** What the request really cost, nano-dollars (0 for a request that failed before any upstream answered). */
  readonly spent: number;
}

export interface SettleOutcome {
  /** Spent in the period after this request. */
  readonly spent: number;
  /** Alert thresholds (percent of the limit) this request crossed first, across every replica: alert on these. */
  readonly crossed: readonly number[];
}

export interface SeedEntry {
  readonly key: string;
  readonly spent: number;
  readonly ttlMs: number;
}

export interface BudgetCounter {
  /** All or nothing for `leaseId`; the lease expires after `leaseTtlMs`. */
  reserve(lines: readonly Reservation[], leaseId: string, leaseTtlMs: number): Promise<ReserveOutcome>;
  /** Releases the lease's reservation and adds the real cost; reports newly crossed `thresholds` (ascending percents). */
  settle(lines: readonly Settlement[], leaseId: string, thresholds: readonly number[]): Promise<SettleOutcome[]>;
  /**
   * Start-up: restores spend from the rollups for counters this store has never seen (a restart of the memory
   * store, or a Redis that lost its data). A counter that exists already, on any replica, is left alone.
   */
  seed(entries: readonly SeedEntry[]): Promise<void>;
  /**
   * A late seed (the spend store was down at start, traffic was counted meanwhile): adds each entry's spend to
   * the counter, existing or not. Only a store private to this process offers it (memory): every counter it holds
   * was made by this process since start, so the rollups written before start are missing from all of them.
   */
  seedAdding?(entries: readonly SeedEntry[]): Promise<void>;
  read(keys: readonly string[]): Promise<BudgetState[]>;
  close(): Promise<void>;
  /** Stores that can be unreachable (Redis) report it here: one change per outage. */
  readonly availability?: Availability;
}

/** Wall-clock milliseconds, shared across replicas; injectable for tests. */
export type WallClock = () => number;
