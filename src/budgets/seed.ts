/**
 * Start-up seeding: the budget counters learn what was already spent this day and month from the spend rollups,
 * so a restart (memory counters) or a Redis that lost its data does not hand every budget a fresh period.
 * Counters that already exist are left alone (see `BudgetCounter.seed`). Spend newer than the last rollup flush
 * (at most `budgets.flush_interval_ms`) is not in the rollups yet.
 */
import type { SpendStore } from '../stores/spend.js';
import { counterKey, counterTtlMs, nanosOf, periodOf, type BudgetPeriod } from './period.js';
import type { BudgetCounter, SeedEntry } from './types.js';

export async function seedBudgetCounters(counter: BudgetCounter, spend: SpendStore, now: number): Promise<number> {
  const day = periodOf('day', now);
  const month = periodOf('month', now);
  const rows = await spend.query({ scope: { all: true }, from: periodOf('day', month.start).id, to: day.id, groupBy: ['day', 'tenant', 'key'] });
  const totals = new Map<string, { spent: number; ttlMs: number }>();
  const add = (scope: 'key' | 'tenant', id: string, period: BudgetPeriod, usd: number) => {
    const key = counterKey(scope, id, period);
    const entry = totals.get(key) ?? { spent: 0, ttlMs: counterTtlMs(period, now) };
    entry.spent += nanosOf(usd);
    totals.set(key, entry);
  };
  for (const row of rows) {
    if (row.tenantId === null || row.keyId === null) continue;
    for (const period of row.day === day.id ? [month, day] : [month]) {
      add('key', row.keyId, period, row.costUsd);
      add('tenant', row.tenantId, period, row.costUsd);
    }
  }
  const entries: SeedEntry[] = [...totals].map(([key, { spent, ttlMs }]) => ({ key, spent, ttlMs }));
  await counter.seed(entries);
  return entries.length;
}
