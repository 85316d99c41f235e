/**
 * Rate and concurrency limits in this process's memory: exact for one node, nothing shared. Rates by GCRA or
 * the sliding window (`memory-rates.ts`).
 */
import { GcraRates, SlidingWindowRates, type MemoryRates } from './memory-rates.js';
import type { AdmissionOutcome, ConcurrencyCheck, ConcurrencyOutcome, RateAlgorithm, RateCheck, RateLimiter, RateOutcome, WallClock } from './types.js';

// Expired records are swept every this many operations, so idle keys do not pile up.
const SWEEP_EVERY = 1024;

export class MemoryRateLimiter implements RateLimiter {
  private readonly rates: MemoryRates;
  /** limit key → lease id → expiry (wall ms). */
  private readonly leases = new Map<string, Map<string, number>>();
  private operations = 0;

  constructor(
    private readonly now: WallClock = Date.now,
    algorithm: RateAlgorithm = 'gcra',
  ) {
    this.rates = algorithm === 'sliding_window' ? new SlidingWindowRates() : new GcraRates();
  }

  check(checks: readonly RateCheck[]): Promise<RateOutcome> {
    const now = this.now();
    this.maybeSweep(now);
    return Promise.resolve(this.rates.check(checks, now));
  }

  adjust(checks: readonly RateCheck[], charge?: string): Promise<void> {
    this.rates.adjust(checks, this.now(), charge);
    return Promise.resolve();
  }

  acquire(checks: readonly ConcurrencyCheck[], leaseId: string, ttlMs: number): Promise<ConcurrencyOutcome> {
    const now = this.now();
    this.maybeSweep(now);
    const held = checks.map((check) => this.live(check.key, now));
    const roomy = this.roomy(checks, held, leaseId);
    const allowed = roomy.every(Boolean);
    if (allowed) this.take(checks, held, leaseId, now + ttlMs);
    return Promise.resolve(slotsOutcome(allowed, checks, held, roomy));
  }

  admit(slots: readonly ConcurrencyCheck[], leaseId: string, ttlMs: number, checks: readonly RateCheck[]): Promise<AdmissionOutcome> {
    const now = this.now();
    this.maybeSweep(now);
    const held = slots.map((check) => this.live(check.key, now));
    const roomy = this.roomy(slots, held, leaseId);
    const slotsAllowed = roomy.every(Boolean);
    // The rates are charged only if the slots can be taken too: all or nothing.
    const rates = this.rates.check(checks, now, slotsAllowed);
    const allowed = slotsAllowed && rates.allowed;
    if (allowed) this.take(slots, held, leaseId, now + ttlMs);
    return Promise.resolve({ allowed, slots: slotsOutcome(slotsAllowed, slots, held, roomy), rates });
  }

  /** Whether each limit has a slot for `leaseId`, given the leases it holds. */
  private roomy(checks: readonly ConcurrencyCheck[], held: readonly Map<string, number>[], leaseId: string): boolean[] {
    return checks.map((check, index) => held[index]!.size + (held[index]!.has(leaseId) ? 0 : 1) <= check.limit);
  }

  private take(checks: readonly ConcurrencyCheck[], held: readonly Map<string, number>[], leaseId: string, expiresAt: number): void {
    checks.forEach((check, index) => {
      held[index]!.set(leaseId, expiresAt);
      this.leases.set(check.key, held[index]!);
    });
  }

  release(keys: readonly string[], leaseId: string): Promise<void> {
    for (const key of keys) {
      const held = this.leases.get(key);
      held?.delete(leaseId);
      if (held?.size === 0) this.leases.delete(key);
    }
    return Promise.resolve();
  }

  releaseAndAdjust(keys: readonly string[], leaseId: string, checks: readonly RateCheck[], charge?: string): Promise<void> {
    return this.release(keys, leaseId).then(() => this.adjust(checks, charge));
  }

  close(): Promise<void> {
    this.rates.clear();
    this.leases.clear();
    return Promise.resolve();
  }

  /** The unexpired leases on `key`. */
  private live(key: string, now: number): Map<string, number> {
    const held = this.leases.get(key) ?? new Map<string, number>();
    for (const [lease, expiresAt] of held) if (expiresAt <= now) held.delete(lease);
    return held;
  }

  private maybeSweep(now: number): void {
    if (++this.operations % SWEEP_EVERY !== 0) return;
    this.rates.sweep(now);
    for (const key of [...this.leases.keys()]) if (this.live(key, now).size === 0) this.leases.delete(key);
  }
}

function slotsOutcome(
  allowed: boolean,
  checks: readonly ConcurrencyCheck[],
  held: readonly Map<string, number>[],
  roomy: readonly boolean[],
): ConcurrencyOutcome {
  return { allowed, decisions: checks.map((check, index) => ({ allowed: roomy[index]!, limit: check.limit, active: held[index]!.size })) };
}
