/**
 * Spend rollups on SQL (PGlite and PostgreSQL alike): a batch is one multi-row upsert that adds to the existing
 * rows; queries group by the asked dimensions in the database. Cost is numeric(24,9), read back as a number.
 */
import { and, gte, lte, eq, sql, type SQL } from 'drizzle-orm';
import { checkSpendQuery, type SpendDimension, type SpendQuery, type SpendRollup, type SpendRow, type SpendStore, type SpendTotal } from '../spend.js';
import { spendDaily } from './schema.js';
import type { Database } from './tenancy-stores.js';

const dimensionColumns: Record<SpendDimension, SQL> = {
  day: sql`to_char(${spendDaily.day}, 'YYYY-MM-DD')`,
  tenant: sql`${spendDaily.tenantId}`,
  key: sql`${spendDaily.keyId}`,
  model: sql`${spendDaily.model}`,
};

/** One batch must not name a rollup row twice (an upsert cannot touch a row twice): merge them first. */
function merged(rows: readonly SpendRow[]): SpendRow[] {
  const byId = new Map<string, SpendRow>();
  for (const row of rows) {
    const id = `${row.tenantId}\u0000${row.keyId}\u0000${row.model}\u0000${row.day}`;
    const current = byId.get(id);
    if (current === undefined) byId.set(id, { ...row });
    else {
      current.requests += row.requests;
      current.inputTokens += row.inputTokens;
      current.outputTokens += row.outputTokens;
      current.costUsd += row.costUsd;
    }
  }
  return [...byId.values()];
}

export class SqlSpendStore implements SpendStore {
  constructor(private readonly db: Database) {}

  async add(rows: readonly SpendRow[]): Promise<void> {
    if (rows.length === 0) return;
    const values = merged(rows).map((row) => ({ ...row, costUsd: row.costUsd.toFixed(9) }));
    await this.db
      .insert(spendDaily)
      .values(values)
      .onConflictDoUpdate({
        target: [spendDaily.tenantId, spendDaily.keyId, spendDaily.model, spendDaily.day],
        set: {
          requests: sql`${spendDaily.requests} + excluded.requests`,
          inputTokens: sql`${spendDaily.inputTokens} + excluded.input_tokens`,
          outputTokens: sql`${spendDaily.outputTokens} + excluded.output_tokens`,
          costUsd: sql`${spendDaily.costUsd} + excluded.cost_usd`,
        },
      });
  }

  async query(query: SpendQuery): Promise<SpendRollup[]> {
    const { limit, groupBy } = checkSpendQuery(query);
    const { scope } = query;
    const grouped = (dimension: SpendDimension) => (groupBy.has(dimension) ? dimensionColumns[dimension] : sql`null`);
    const where = and(
      scope.all === true ? undefined : eq(spendDaily.tenantId, scope.tenantId),
      query.from === undefined ? undefined : gte(spendDaily.day, query.from),
      query.to === undefined ? undefined : lte(spendDaily.day, query.to),
    );
    const keys = [...groupBy].map((dimension) => dimensionColumns[dimension]);
    const rows = await this.db
      .select({
        day: sql<string | null>`${grouped('day')}`,
        tenantId: sql<string | null>`${grouped('tenant')}`,
        keyId: sql<string | null>`${grouped('key')}`,
        model: sql<string | null>`${grouped('model')}`,
        requests: sql<string>`sum(${spendDaily.requests})`,
        inputTokens: sql<string>`sum(${spendDaily.inputTokens})`,
        outputTokens: sql<string>`sum(${spendDaily.outputTokens})`,
        costUsd: sql<string>`sum(${spendDaily.costUsd})`,
      })
      .from(spendDaily)
      .where(where)
      .groupBy(...keys)
      .orderBy(...keys.map((key) => sql`${key} collate "C"`))
      .limit(limit);
    return rows.map((row) => ({
      day: row.day,
      tenantId: row.tenantId,
      keyId: row.keyId,
      model: row.model,
      requests: Number(row.requests),
      inputTokens: Number(row.inputTokens),
      outputTokens: Number(row.outputTokens),
      costUsd: Number(row.costUsd),
    }));
  }

  async totals(from: string, to: string): Promise<SpendTotal[]> {
    // One pass over the range, keys and tenants at once; the sums stay numeric(…, 9) until read, so they are exact.
    const rows = await this.db
      .select({
        tenantId: spendDaily.tenantId,
        keyId: sql<string | null>`case when grouping(${spendDaily.keyId}) = 1 then null else ${spendDaily.keyId} end`,
        costUsd: sql<string>`sum(${spendDaily.costUsd})`,
      })
      .from(spendDaily)
      .where(and(gte(spendDaily.day, from), lte(spendDaily.day, to)))
      .groupBy(sql`grouping sets ((${spendDaily.tenantId}), (${spendDaily.tenantId}, ${spendDaily.keyId}))`);
    return rows.map((row) => ({ tenantId: row.tenantId, keyId: row.keyId, costUsd: Number(row.costUsd) }));
  }
}
