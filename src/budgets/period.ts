/**
 * Budget periods in UTC: a day runs from 00:00 to the next 00:00, a month from the 1st to the next 1st. Every
 * replica computes the same period id from the wall clock, so counters line up across replicas; spend amounts are
 * whole nano-dollars, so counters add exactly (Redis HINCRBY) however many requests they sum.
 */
export type PeriodKind = 'day' | 'month';

export interface BudgetPeriod {
  readonly kind: PeriodKind;
  /** `2025-06-14` (day) or `2025-06` (month). */
  readonly id: string;
  /** Epoch ms, inclusive. */
  readonly start: number;
  /** Epoch ms, exclusive: when the budget resets. */
  readonly end: number;
}

const pad = (value: number) => String(value).padStart(2, '0');

/** The last period made of each kind: nearly every request falls in it, so it is made once, not per request. */
const lastPeriod: Record<PeriodKind, BudgetPeriod | undefined> = { day: undefined, month: undefined };

export function periodOf(kind: PeriodKind, at: number): BudgetPeriod {
  const last = lastPeriod[kind];
  if (last !== undefined && at >= last.start && at < last.end) return last;
  const period = makePeriod(kind, at);
  lastPeriod[kind] = period;
  return period;
}

function makePeriod(kind: PeriodKind, at: number): BudgetPeriod {
  const date = new Date(at);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  if (kind === 'month') {
    return { kind, id: `${year}-${pad(month + 1)}`, start: Date.UTC(year, month, 1), end: Date.UTC(year, month + 1, 1) };
  }
  const day = date.getUTCDate();
  return { kind, id: `${year}-${pad(month + 1)}-${pad(day)}`, start: Date.UTC(year, month, day), end: Date.UTC(year, month, day + 1) };
}

/** The UTC day (`YYYY-MM-DD`) of an instant: the spend rollup's `day`. */
export const utcDay = (at: number): string => periodOf('day', at).id;

const NANOS_PER_USD = 1_000_000_000;

/** USD → whole nano-dollars, rounded up: a reservation never under-reserves by rounding. */
export const nanosCeil = (usd: number): number => Math.ceil(usd * NANOS_PER_USD - 1e-6);
/** USD → whole nano-dollars, to the nearest: what a finished request is charged. */
export const nanosOf = (usd: number): number => Math.round(usd * NANOS_PER_USD);
export const usdOf = (nanos: number): number => nanos / NANOS_PER_USD;

/** Counters outlive their period by this much, so late settlements and the admin view still find them. */
export const COUNTER_MARGIN_MS = 2 * 86_400_000;

/** The counter of one budget in one period: `key:<keyId>:<period>` or `tenant:<tenantId>:<period>`. */
export const counterKey = (scope: 'key' | 'tenant', id: string, period: BudgetPeriod): string => `${scope}:${id}:${period.id}`;

/** How long a counter must be kept from `now`. */
export const counterTtlMs = (period: BudgetPeriod, now: number): number => period.end - now + COUNTER_MARGIN_MS;
