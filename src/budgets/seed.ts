/**
 * Start-up seeding: the budget counters learn what was already spent this day and month from the spend rollups,
 * so a restart (memory counters) or a Redis that lost its data does not hand every budget a fresh period.
 * Counters that already exist are left alone (see `BudgetCounter.seed`). Spend newer than the last rollup flush
 * (at most `budgets.flush_interval_ms`) is not in the rollups yet. `late`: the store was down at start and this
 * process counted spend meanwhile (its rollup writes held until now, so the rollups predate it): add to counters.
 */
import type { SpendStore } from '../stores/spend.js';
import { counterKey, counterTtlMs, nanosOf, periodOf } from './period.js';
import type { BudgetCounter, SeedEntry } from './types.js';

/** Seeds every key's and tenant's counter for the current day and month; returns how many it offered. */
export async function seedBudgetCounters(counter: BudgetCounter, spend: SpendStore, now: number, late = false): Promise<number> {
  const day = periodOf('day', now);
  const month = periodOf('month', now);
  const entries: SeedEntry[] = [];
  // Summed by the store per period (a month is at most 31 days), so seeding is complete and one row per budget.
  for (const period of [month, day]) {
    const totals = await spend.totals(periodOf('day', period.start).id, day.id);
    for (const total of totals) {
      const key = total.keyId === null ? counterKey('tenant', total.tenantId, period) : counterKey('key', total.keyId, period);
      entries.push({ key, spent: nanosOf(total.costUsd), ttlMs: counterTtlMs(period, now) });
    }
  }
  // Late (store down at start): add to the counters live traffic made since start (stores that can, see types).
  if (late && counter.seedAdding !== undefined) await counter.seedAdding(entries);
  else await counter.seed(entries);
  return entries.length;
}
