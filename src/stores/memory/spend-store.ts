/** Spend rollups in process memory: tests, library mode, single-node setups that may lose them on restart. */
import { checkSpendQuery, type SpendDimension, type SpendQuery, type SpendRollup, type SpendRow, type SpendStore, type SpendTotal } from '../spend.js';

const columns: Record<SpendDimension, 'day' | 'tenantId' | 'keyId' | 'model'> = { day: 'day', tenant: 'tenantId', key: 'keyId', model: 'model' };

export class MemorySpendStore implements SpendStore {
  private readonly rows = new Map<string, SpendRow>();

  async add(rows: readonly SpendRow[]): Promise<void> {
    for (const row of rows) {
      const id = `${row.tenantId}\u0000${row.keyId}\u0000${row.model}\u0000${row.day}`;
      const current = this.rows.get(id);
      if (current === undefined) {
        this.rows.set(id, { ...row });
        continue;
      }
      current.requests += row.requests;
      current.inputTokens += row.inputTokens;
      current.outputTokens += row.outputTokens;
      current.costUsd += row.costUsd;
    }
  }

  async query(query: SpendQuery): Promise<SpendRollup[]> {
    const { limit, groupBy } = checkSpendQuery(query);
    const groups = new Map<string, SpendRollup>();
    for (const row of this.rows.values()) {
      if (query.scope.all !== true && row.tenantId !== query.scope.tenantId) continue;
      if ((query.from !== undefined && row.day < query.from) || (query.to !== undefined && row.day > query.to)) continue;
      const rollup: SpendRollup = { day: null, tenantId: null, keyId: null, model: null, requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
      for (const dimension of groupBy) rollup[columns[dimension]] = row[columns[dimension]];
      const id = [rollup.day, rollup.tenantId, rollup.keyId, rollup.model].join('\u0000');
      const group = groups.get(id) ?? rollup;
      group.requests += row.requests;
      group.inputTokens += row.inputTokens;
      group.outputTokens += row.outputTokens;
      group.costUsd += row.costUsd;
      groups.set(id, group);
    }
    const key = (rollup: SpendRollup) => [rollup.day ?? '', rollup.tenantId ?? '', rollup.keyId ?? '', rollup.model ?? ''];
    return [...groups.values()]
      .sort((a, b) => {
        const [x, y] = [key(a), key(b)];
        for (let index = 0; index < x.length; index++) if (x[index] !== y[index]) return x[index]! < y[index]! ? -1 : 1;
        return 0;
      })
      .slice(0, limit)
      .map((rollup) => ({ ...rollup, costUsd: roundNanos(rollup.costUsd) }));
  }

  async totals(from: string, to: string): Promise<SpendTotal[]> {
    const totals = new Map<string, SpendTotal>();
    const add = (tenantId: string, keyId: string | null, costUsd: number) => {
      const id = `${tenantId}\u0000${keyId ?? ''}`;
      const total = totals.get(id) ?? { tenantId, keyId, costUsd: 0 };
      total.costUsd += costUsd;
      totals.set(id, total);
    };
    for (const row of this.rows.values()) {
      if (row.day < from || row.day > to) continue;
      add(row.tenantId, row.keyId, row.costUsd);
      add(row.tenantId, null, row.costUsd);
    }
    return [...totals.values()].map((total) => ({ ...total, costUsd: roundNanos(total.costUsd) }));
  }
}

/** Sums of floats drift in the last bits; the SQL store keeps nine decimals, so does this one. */
const roundNanos = (usd: number) => Math.round(usd * 1e9) / 1e9;
