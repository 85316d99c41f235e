/**
 * Spend rollups while PostgreSQL is cut under a running gateway (issue 5, DESIGN.md §12), through a TCP proxy
 * (blackhole: connections hang; refuse: connections reset). Requests never wait for the rollups; the aggregator
 * keeps its rows in memory up to `budgets.max_pending_rows`, drops and counts the rows beyond, and writes what it
 * kept once the database is back, each request exactly once. A gateway started with the database cut seeds its
 * budget counters once it is back: earlier spend counted, spend since start not twice.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { SwitchyardConfigInput } from '../../src/config/schema.js';
import { KeyCache } from '../../src/stores/key-cache.js';
import { openMemoryStores } from '../../src/stores/memory/index.js';
import { startOpenAIMock, type OpenAIMock } from '../mocks/openai-mock.js';
import { describePostgres, testSchema } from '../helpers/postgres.js';
import { openPostgresBehindProxy, type Cut, type PostgresBehindProxy } from '../helpers/postgres-outage.js';
import { postJson, startTestGateway, type RunningGateway } from '../helpers/server.js';
import { recordingLog, TEST_PEPPER } from '../helpers/stores.js';
import { waitFor } from './harness.js';

const MAX_PENDING_ROWS = 3;
const FLUSH_MS = 100;
const BOUNDED_MS = 3000;

describePostgres('spend rollups through a PostgreSQL outage', () => {
  const schema = testSchema();
  const keys = openMemoryStores(TEST_PEPPER);
  let db: PostgresBehindProxy;
  let cache: KeyCache;
  let mock: OpenAIMock;
  let gateway: RunningGateway;

  before(async () => {
    mock = await startOpenAIMock();
    db = await openPostgresBehindProxy(schema.name, { label: 'spend', log: recordingLog() });
    cache = await KeyCache.start(keys, { log: recordingLog() });
    const config: SwitchyardConfigInput = {
      resilience: { health_checks: { enabled: false } },
      providers: { up: { type: 'openai', api_key: 'sk-test', base_url: mock.url } },
      models: { premium: { deployments: [{ provider: 'up', model: 'premium-upstream' }] } },
      prices: [{ model: 'premium-upstream', input: 1000, output: 1000 }],
      budgets: { flush_interval_ms: FLUSH_MS, max_pending_rows: MAX_PENDING_ROWS },
    };
    // Keys from memory, spend in PostgreSQL behind the proxy: only the rollups feel the cut.
    gateway = await startTestGateway(config, { keys: cache, stores: { ...keys, spend: db.own.spend } });
  });
  after(async () => {
    await gateway?.close();
    await cache?.close();
    await db?.close();
    await mock?.close();
    await schema.drop();
  });

  async function send(secret: string): Promise<void> {
    const started = performance.now();
    const body = { model: 'premium', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 };
    const response = await postJson(`${gateway.url}/v1/chat/completions`, body, { authorization: `Bearer ${secret}` });
    await response.arrayBuffer();
    assert.equal(response.status, 200, 'served whatever the rollups do');
    assert.ok(performance.now() - started < BOUNDED_MS, 'a request never waits for the spend store');
  }

  async function dropped(): Promise<number> {
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    const line = text.split('\n').find((row) => row.startsWith('switchyard_budget_events_total{event="spend_rows_dropped"}'));
    return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
  }

  /** Requests per key in the database (read past the proxy). */
  async function written(tenantId: string): Promise<Map<string, number>> {
    const rows = await db.other.spend.query({ scope: { tenantId }, groupBy: ['key'] });
    return new Map(rows.map((row) => [row.keyId!, row.requests]));
  }

  async function outage(mode: Cut): Promise<void> {
    const tenantId = `spend-${mode}`;
    await keys.tenants.create({ id: tenantId, name: 'spender' });
    const made = await Promise.all([0, 1, 2, 3].map((index) => keys.keys.create(tenantId, { name: `k${index}` })));
    await send(made[0]!.secret);
    await waitFor('the first request is written', async () => (await written(tenantId)).get(made[0]!.key.id) === 1, 10_000);
    const droppedBefore = await dropped();

    db.cut(mode);
    // Sent per key while cut: 2, 1, 1, 1 requests; four distinct rows for a buffer of three.
    const sent = [2, 1, 1, 1];
    try {
      for (const [index, count] of sent.entries()) for (let n = 0; n < count; n++) await send(made[index]!.secret);
      await new Promise((resolve) => setTimeout(resolve, 4 * FLUSH_MS));
      assert.equal(gateway.gateway.budgets.pendingSpendRows, MAX_PENDING_ROWS, 'the rows are held up to the bound');
      assert.equal((await dropped()) - droppedBefore, 1, 'the row beyond the bound is dropped and counted');
    } finally {
      db.resume();
    }

    await waitFor('the held rows are written after recovery', () => gateway.gateway.budgets.pendingSpendRows === 0, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 4 * FLUSH_MS));
    const rows = await written(tenantId);
    const outcome = made.map((key, index) => (rows.get(key.key.id) ?? 0) - (index === 0 ? 1 : 0));
    // The first three rows were held (the fourth arrived with the buffer full): each written once and in full.
    assert.deepEqual(outcome, [2, 1, 1, 0], 'requests written per key after recovery');
  }

  test('blackhole: requests unaffected, rows held within the bound, written once after recovery', async () => {
    await outage('blackhole');
  });

  test('refuse: same', async () => {
    await outage('refuse');
  });

  test('started while cut: seeding retries after recovery, earlier spend counted once', async () => {
    const tenantId = 'spend-seed-late';
    const budget = { amount_usd: 10, period: 'month' as const };
    await keys.tenants.create({ id: tenantId, name: 'seeder', budget });
    const { key, secret } = await keys.keys.create(tenantId, { name: 'k', budget });
    const today = new Date().toISOString().slice(0, 10);
    // Spend an earlier process wrote (read past the proxy's cut by `other`).
    await db.other.spend.add([{ day: today, tenantId, keyId: key.id, model: 'premium', requests: 3, inputTokens: 0, outputTokens: 0, costUsd: 0.5 }]);
    db.cut('blackhole');
    const config: SwitchyardConfigInput = {
      resilience: { health_checks: { enabled: false } },
      providers: { up: { type: 'openai', api_key: 'sk-test', base_url: mock.url } },
      models: { premium: { deployments: [{ provider: 'up', model: 'premium-upstream' }] } },
      prices: [{ model: 'premium-upstream', input: 1000, output: 1000 }],
      budgets: { flush_interval_ms: FLUSH_MS, max_pending_rows: 100 },
    };
    const late = await startTestGateway(config, { keys: cache, stores: { ...keys, spend: db.own.spend } });
    const spent = async () => {
      const [standing] = await late.gateway.budgets.standings([{ scope: 'key', id: key.id, budget }]);
      return standing!.spentUsd;
    };
    try {
      await late.gateway.budgets.ready;
      const response = await postJson(`${late.url}/v1/chat/completions`, { model: 'premium', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }, { authorization: `Bearer ${secret}` });
      await response.arrayBuffer();
      assert.equal(response.status, 200, 'served while the rollups are cut');
      const cost = await spent();
      assert.ok(cost > 0 && cost < 0.5, `only this process's spend is counted while cut (${cost})`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      db.resume();
      await late.gateway.budgets.seeded;
      assert.ok(Math.abs((await spent()) - (0.5 + cost)) < 1e-9, 'earlier spend added to the live counter');
      await waitFor('the held row is written', () => late.gateway.budgets.pendingSpendRows === 0, 10_000);
      const rows = await db.other.spend.query({ scope: { tenantId }, groupBy: ['key'] });
      assert.ok(Math.abs(rows[0]!.costUsd - (0.5 + cost)) < 1e-9, 'the rollup holds both once');
      assert.ok(Math.abs((await spent()) - (0.5 + cost)) < 1e-9, 'and the counter did not count the flushed row again');
    } finally {
      db.resume();
      await late.close();
    }
  });
});
