/**
 * Budget counters in process memory: one node, or tests. Same semantics as the Redis script: leases expire, a
 * counter is kept until its TTL and then forgotten (swept every few hundred calls, so memory stays bounded by
 * the budgets active in the current periods).
 */
import type { BudgetCounter, BudgetState, Reservation, ReserveOutcome, SeedEntry, SettleOutcome, Settlement, WallClock } from './types.js';

interface Counter {
  spent: number;
  reserved: number;
  /** Highest alert threshold already reported. */
  alerted: number;
  expiresAt: number;
  leases: Map<string, { amount: number; expiresAt: number }>;
  /** The earliest lease expiry: leases are scanned only once one is due. */
  nextLeaseExpiry: number;
}

const SWEEP_EVERY = 500;

const emptyCounter = (expiresAt: number): Counter => ({
  spent: 0,
  reserved: 0,
  alerted: 0,
  expiresAt,
  leases: new Map(),
  nextLeaseExpiry: Number.POSITIVE_INFINITY,
});

/** Highest of `thresholds` (percents) that `spent` reached of `limit`; 0 if none. */
export function levelOf(spent: number, limit: number, thresholds: readonly number[]): number {
  let level = 0;
  for (const threshold of thresholds) if (spent * 100 >= threshold * limit) level = Math.max(level, threshold);
  return level;
}

export class MemoryBudgetCounter implements BudgetCounter {
  private readonly counters = new Map<string, Counter>();
  private calls = 0;

  constructor(private readonly now: WallClock = Date.now) {}

  async reserve(lines: readonly Reservation[], leaseId: string, leaseTtlMs: number): Promise<ReserveOutcome> {
    const now = this.tick();
    const counters = lines.map((line) => this.counter(line.key, now));
    const found = counters.map(({ spent, reserved }) => ({ spent, reserved }));
    const allowed = lines.every((line, index) => !line.mustFit || found[index]!.spent + found[index]!.reserved + line.amount <= line.limit);
    if (!allowed) return { allowed, states: found };
    lines.forEach((line, index) => {
      const counter = counters[index]!;
      counter.expiresAt = Math.max(counter.expiresAt, now + line.ttlMs);
      if (line.amount <= 0) return;
      counter.reserved += line.amount;
      const held = counter.leases.get(leaseId);
      counter.leases.set(leaseId, { amount: (held?.amount ?? 0) + line.amount, expiresAt: now + leaseTtlMs });
      counter.nextLeaseExpiry = Math.min(counter.nextLeaseExpiry, now + leaseTtlMs);
    });
    return { allowed, states: counters.map(({ spent, reserved }) => ({ spent, reserved })) };
  }

  async settle(lines: readonly Settlement[], leaseId: string, thresholds: readonly number[]): Promise<SettleOutcome[]> {
    const now = this.tick();
    return lines.map((line) => {
      const counter = this.counter(line.key, now);
      const held = counter.leases.get(leaseId);
      if (held !== undefined) {
        counter.leases.delete(leaseId);
        counter.reserved -= held.amount;
      }
      counter.spent += line.spent;
      counter.expiresAt = Math.max(counter.expiresAt, now + line.ttlMs);
      const level = levelOf(counter.spent, line.limit, thresholds);
      const crossed = thresholds.filter((threshold) => threshold > counter.alerted && threshold <= level);
      counter.alerted = Math.max(counter.alerted, level);
      return { spent: counter.spent, crossed };
    });
  }

  async seed(entries: readonly SeedEntry[]): Promise<void> {
    const now = this.now();
    for (const entry of entries) {
      if (this.counters.has(entry.key)) continue;
      this.counters.set(entry.key, { ...emptyCounter(now + entry.ttlMs), spent: entry.spent });
    }
  }

  async seedAdding(entries: readonly SeedEntry[]): Promise<void> {
    const now = this.now();
    for (const entry of entries) {
      const found = this.counters.get(entry.key);
      if (found === undefined || found.expiresAt <= now) this.counters.set(entry.key, { ...emptyCounter(now + entry.ttlMs), spent: entry.spent });
      else found.spent += entry.spent;
    }
  }

  async read(keys: readonly string[]): Promise<BudgetState[]> {
    const now = this.now();
    return keys.map((key) => {
      const counter = this.counters.get(key);
      if (counter === undefined || counter.expiresAt <= now) return { spent: 0, reserved: 0 };
      this.expireLeases(counter, now);
      return { spent: counter.spent, reserved: counter.reserved };
    });
  }

  async close(): Promise<void> {
    this.counters.clear();
  }

  private tick(): number {
    const now = this.now();
    if (++this.calls % SWEEP_EVERY === 0) {
      for (const [key, counter] of this.counters) if (counter.expiresAt <= now) this.counters.delete(key);
    }
    return now;
  }

  /** The live counter for `key`, created empty; its expired leases given back. */
  private counter(key: string, now: number): Counter {
    let counter = this.counters.get(key);
    if (counter === undefined || counter.expiresAt <= now) {
      counter = emptyCounter(now);
      this.counters.set(key, counter);
    }
    this.expireLeases(counter, now);
    return counter;
  }

  private expireLeases(counter: Counter, now: number): void {
    if (counter.nextLeaseExpiry > now) return;
    counter.nextLeaseExpiry = Number.POSITIVE_INFINITY;
    for (const [leaseId, lease] of counter.leases) {
      if (lease.expiresAt > now) {
        counter.nextLeaseExpiry = Math.min(counter.nextLeaseExpiry, lease.expiresAt);
        continue;
      }
      counter.leases.delete(leaseId);
      counter.reserved -= lease.amount;
    }
  }
}

