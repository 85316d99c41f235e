/**
 * One contract for SpendStore on every implementation: memory, PGlite (in memory, in its worker) and PostgreSQL
 * (own schema). Batches add to existing rollups, queries group and filter by day, tenant scope holds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SpendRow, SpendStore } from '../../src/stores/spend.js';
import { StoreError, type Stores } from '../../src/stores/types.js';
import { describePostgres, testSchema } from '../helpers/postgres.js';
import { openMemory, openPGliteInMemory, openPostgres } from '../helpers/stores.js';

let tenantCounter = 0;
const freshTenant = () => `t${process.pid}-${Date.now()}-${++tenantCounter}`;

function row(overrides: Partial<SpendRow>): SpendRow {
  return { day: '2025-06-14', tenantId: 'x', keyId: 'key_a', model: 'gpt-4o', requests: 1, inputTokens: 100, outputTokens: 50, costUsd: 0.000123456, ...overrides };
}

function spendContract(open: () => Promise<Stores>, cleanup: () => Promise<void> = async () => undefined): void {
  let stores: Stores;
  let spend: SpendStore;

  before(async () => {
    stores = await open();
    spend = stores.spend;
  });
  after(async () => {
    await stores?.close();
    await cleanup();
  });

  test('batches add to the same rollup row, also twice in one batch, with cost exact to the nano-dollar', async () => {
    const tenantId = freshTenant();
    await spend.add([row({ tenantId }), row({ tenantId, requests: 2, inputTokens: 10, outputTokens: 5, costUsd: 0.000000001 })]);
    await spend.add([row({ tenantId, costUsd: 1.5 })]);
    const rows = await spend.query({ scope: { tenantId } });
    assert.deepEqual(rows, [
      { day: '2025-06-14', tenantId, keyId: 'key_a', model: 'gpt-4o', requests: 4, inputTokens: 210, outputTokens: 105, costUsd: 1.500123457 },
    ]);
  });

  test('group_by folds the other columns into null, ordered by the grouped ones', async () => {
    const tenantId = freshTenant();
    await spend.add([
      row({ tenantId, day: '2025-06-13', keyId: 'key_b', model: 'm1', costUsd: 1 }),
      row({ tenantId, day: '2025-06-14', keyId: 'key_a', model: 'm1', costUsd: 2 }),
      row({ tenantId, day: '2025-06-14', keyId: 'key_b', model: 'm2', costUsd: 4 }),
    ]);
    const byDay = await spend.query({ scope: { tenantId }, groupBy: ['day'] });
    assert.deepEqual(
      byDay.map((r) => [r.day, r.tenantId, r.keyId, r.model, r.requests, r.costUsd]),
      [
        ['2025-06-13', null, null, null, 1, 1],
        ['2025-06-14', null, null, null, 2, 6],
      ],
    );
    const byKeyModel = await spend.query({ scope: { tenantId }, groupBy: ['key', 'model'] });
    assert.deepEqual(
      byKeyModel.map((r) => [r.day, r.keyId, r.model, r.costUsd]),
      [
        [null, 'key_a', 'm1', 2],
        [null, 'key_b', 'm1', 1],
        [null, 'key_b', 'm2', 4],
      ],
    );
  });

  test('from and to include both ends', async () => {
    const tenantId = freshTenant();
    await spend.add(['2025-05-31', '2025-06-01', '2025-06-30', '2025-07-01'].map((day) => row({ tenantId, day })));
    const june = await spend.query({ scope: { tenantId }, from: '2025-06-01', to: '2025-06-30', groupBy: ['day'] });
    assert.deepEqual(june.map((r) => r.day), ['2025-06-01', '2025-06-30']);
  });

  test('a tenant scope never sees another tenant; all does', async () => {
    const [mine, theirs] = [freshTenant(), freshTenant()];
    await spend.add([row({ tenantId: mine, costUsd: 1 }), row({ tenantId: theirs, costUsd: 2 })]);
    const seen = await spend.query({ scope: { tenantId: mine }, groupBy: ['tenant'] });
    assert.deepEqual(seen.map((r) => [r.tenantId, r.costUsd]), [[mine, 1]]);
    const all = await spend.query({ scope: { all: true }, groupBy: ['tenant'] });
    const tenants = all.map((r) => r.tenantId);
    assert.ok(tenants.includes(mine) && tenants.includes(theirs), `the master view holds both tenants: ${tenants.join(', ')}`);
  });

  test('a query with no scope, a bad day or a bad limit is refused', async () => {
    const invalid = (error: unknown) => error instanceof StoreError && error.code === 'invalid';
    await assert.rejects(spend.query({ scope: { tenantId: '' } }), invalid);
    await assert.rejects(spend.query({ scope: { all: true }, from: '14/06/2025' }), invalid);
    await assert.rejects(spend.query({ scope: { all: true }, limit: 0 }), invalid);
  });

  test('totals sum every rollup row in the range per key and per tenant, far past the 10,000-row query limit', async () => {
    const [big, small] = [freshTenant(), freshTenant()];
    // 10,050 rows of $0.000000001..: two keys, one model each, in the range; one row either side of it.
    const rows = Array.from({ length: 10_050 }, (_, index) =>
      row({ tenantId: big, keyId: `key_${index % 2}`, model: `m${index}`, day: index % 3 === 0 ? '2025-06-01' : '2025-06-14', costUsd: 0.000000001 * (index + 1) }),
    );
    for (let start = 0; start < rows.length; start += 2000) await spend.add(rows.slice(start, start + 2000));
    await spend.add([row({ tenantId: big, day: '2025-05-31', costUsd: 5 }), row({ tenantId: big, day: '2025-06-15', costUsd: 7 }), row({ tenantId: small, keyId: 'key_s', costUsd: 0.25 })]);
    const nanos = (keyParity: number | undefined) =>
      rows.reduce((sum, _, index) => (keyParity === undefined || index % 2 === keyParity ? sum + index + 1 : sum), 0) / 1e9;
    const totals = (await spend.totals('2025-06-01', '2025-06-14'))
      .filter((total) => total.tenantId === big || total.tenantId === small)
      .map((total) => [total.tenantId, total.keyId, total.costUsd])
      .sort((a, b) => String(a).localeCompare(String(b)));
    const expected = [
      [big, 'key_0', nanos(0)],
      [big, 'key_1', nanos(1)],
      [big, null, nanos(undefined)],
      [small, 'key_s', 0.25],
      [small, null, 0.25],
    ].sort((a, b) => String(a).localeCompare(String(b)));
    assert.deepEqual(totals, expected);
    assert.deepEqual(
      (await spend.totals('2025-06-15', '2025-06-15')).filter((total) => total.tenantId === big).map((total) => total.costUsd),
      [7, 7],
      'a one-day range: the key and its tenant',
    );
  });

  test('limit bounds the rows returned', async () => {
    const tenantId = freshTenant();
    await spend.add(['m1', 'm2', 'm3'].map((model) => row({ tenantId, model })));
    assert.equal((await spend.query({ scope: { tenantId }, limit: 2 })).length, 2);
  });
}

describe('memory spend store', () => spendContract(openMemory));

describe('PGlite spend store (in memory, worker thread)', () => spendContract(openPGliteInMemory));

const schema = testSchema();
describePostgres('PostgreSQL spend store', () => spendContract(() => openPostgres(schema.name), () => schema.drop()));
