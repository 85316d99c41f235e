/**
 * The spend store (DESIGN.md §6): requests, tokens and cost rolled up per tenant, key, public model and UTC day.
 * The spend aggregator adds to it in batches; the admin API reads rollups; the budget counters are seeded from it
 * at start. Memory and SQL implement it; `test/contract/spend-store.test.ts` holds both to one contract.
 *
 * Tenant scoping: a query names the tenant it may see, or `all: true` for the master key's view.
 */
import { StoreError } from './types.js';

export interface SpendRow {
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  tenantId: string;
  keyId: string;
  model: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** A rollup row; a column not grouped by is null. */
export type SpendRollup = Omit<SpendRow, 'day' | 'tenantId' | 'keyId' | 'model'> & {
  day: string | null;
  tenantId: string | null;
  keyId: string | null;
  model: string | null;
};

export const spendDimensions = ['day', 'tenant', 'key', 'model'] as const;
export type SpendDimension = (typeof spendDimensions)[number];

export type SpendScope = { tenantId: string; all?: never } | { all: true; tenantId?: never };

export interface SpendQuery {
  scope: SpendScope;
  /** First day included (`YYYY-MM-DD`). */
  from?: string;
  /** Last day included. */
  to?: string;
  /** Columns to group by (default: all four). */
  groupBy?: readonly SpendDimension[];
  /** Default and maximum 10,000 rows. */
  limit?: number;
}

/** Cost summed over a range of days: per key (`keyId` set) and per tenant (`keyId` null). */
export interface SpendTotal {
  tenantId: string;
  keyId: string | null;
  costUsd: number;
}

export interface SpendStore {
  /** Adds each row to its (tenant, key, model, day) rollup, creating it when new; one round trip per batch. */
  add(rows: readonly SpendRow[]): Promise<void>;
  /** Rollups ordered by day, tenant, key, model (the grouped ones). */
  query(query: SpendQuery): Promise<SpendRollup[]>;
  /**
   * Every tenant's and every key's cost from `from` to `to` (days, inclusive), summed by the store: one row per
   * key and one per tenant that spent, however many rollup rows that is (seeding the budget counters).
   */
  totals(from: string, to: string): Promise<SpendTotal[]>;
}

export const MAX_SPEND_ROWS = 10_000;

const dayPattern = /^\d{4}-\d{2}-\d{2}$/;

/** Checks a query's scope, days and limit; returns the row limit and the dimensions to group by. */
export function checkSpendQuery(query: SpendQuery): { limit: number; groupBy: ReadonlySet<SpendDimension> } {
  const { scope } = query;
  if (scope.all !== true && (typeof scope.tenantId !== 'string' || scope.tenantId === '')) {
    throw new StoreError('invalid', 'a spend query names a tenant or asks for all');
  }
  for (const day of [query.from, query.to]) {
    if (day !== undefined && !dayPattern.test(day)) throw new StoreError('invalid', `days are YYYY-MM-DD, got "${day}"`);
  }
  const limit = query.limit ?? MAX_SPEND_ROWS;
  if (!Number.isInteger(limit) || limit < 1) throw new StoreError('invalid', `limit must be a positive integer, got ${limit}`);
  return { limit: Math.min(limit, MAX_SPEND_ROWS), groupBy: new Set(query.groupBy ?? spendDimensions) };
}
