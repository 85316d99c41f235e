/**
 * The money admin routes on a running gateway: usage rollups (per tenant for its admin, every tenant for the
 * master key), the current period's spend against budgets, the price table; a tenant admin key never sees
 * another tenant's numbers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { KeyCache } from '../../src/stores/key-cache.js';
import { openMemoryStores } from '../../src/stores/memory/index.js';
import type { Stores } from '../../src/stores/types.js';
import { startOpenAIMock, type OpenAIMock } from '../mocks/openai-mock.js';
import { postJson, startTestGateway, type RunningGateway } from '../helpers/server.js';
import { recordingLog, TEST_PEPPER } from '../helpers/stores.js';

const MASTER = 'master-key-for-tests';
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

interface UsageRow {
  day: string | null;
  tenant_id: string | null;
  key_id: string | null;
  model: string | null;
  requests: number;
  cost_usd: number;
}

describe('usage, spend and prices admin routes', () => {
  let stores: Stores;
  let cache: KeyCache;
  let mock: OpenAIMock;
  let gw: RunningGateway;
  const admin: Record<string, string> = {};
  const user: Record<string, { id: string; secret: string }> = {};

  const get = async (path: string, secret: string) => {
    const response = await fetch(`${gw.url}${path}`, { headers: bearer(secret) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  before(async () => {
    stores = openMemoryStores(TEST_PEPPER);
    cache = await KeyCache.start(stores, { log: recordingLog() });
    mock = await startOpenAIMock();
    gw = await startTestGateway(
      {
        auth: { master_key: MASTER },
        resilience: { health_checks: { enabled: false } },
        providers: { up: { type: 'openai', api_key: 'sk-test', base_url: mock.url } },
        models: { premium: { deployments: [{ provider: 'up', model: 'premium-upstream' }] } },
        prices: [{ model: 'premium-upstream', provider: 'up', input: 1000, output: 1000, effective_from: '2020-01-01' }],
      },
      { keys: cache, stores },
    );
    for (const id of ['alpha', 'beta']) {
      await stores.tenants.create({ id, name: id, budget: { amount_usd: 1, period: 'month' } });
      admin[id] = (await stores.keys.create(id, { name: 'admin', scopes: { admin: true } })).secret;
      const { key, secret } = await stores.keys.create(id, { name: 'app', budget: { amount_usd: 0.5, period: 'day' } });
      user[id] = { id: key.id, secret };
    }
    for (const [id, count] of [['alpha', 2], ['beta', 1]] as const) {
      for (let index = 0; index < count; index++) {
        const response = await postJson(`${gw.url}/v1/chat/completions`, { model: 'premium', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }, bearer(user[id]!.secret));
        assert.equal(response.status, 200);
        await response.arrayBuffer();
      }
    }
    await gw.gateway.budgets.flush();
  });
  after(async () => {
    await gw.close();
    await cache.close();
    await mock.close();
  });

  test("a tenant admin reads its own usage rollups and gets 404 for another tenant's", async () => {
    const today = new Date().toISOString().slice(0, 10);
    const own = await get('/admin/tenants/alpha/usage', admin.alpha!);
    assert.equal(own.status, 200);
    assert.deepEqual(own.body.data, [
      { day: today, tenant_id: 'alpha', key_id: user.alpha!.id, model: 'premium', requests: 2, input_tokens: 22, output_tokens: 14, cost_usd: 0.036 },
    ]);
    const other = await get('/admin/tenants/beta/usage', admin.alpha!);
    assert.equal(other.status, 404);
    const spend = await get('/admin/tenants/beta/spend', admin.alpha!);
    assert.equal(spend.status, 404, 'spend is isolated too');
  });

  test('all-tenant usage is the master key only; group_by folds columns; bad input is 400', async () => {
    assert.equal((await get('/admin/usage', admin.alpha!)).status, 403);
    const all = await get('/admin/usage?group_by=tenant', MASTER);
    assert.equal(all.status, 200);
    const rows = (all.body.data as UsageRow[]).map((row) => [row.tenant_id, row.key_id, row.requests]);
    assert.deepEqual(rows, [['alpha', null, 2], ['beta', null, 1]]);
    const bad = await get('/admin/usage?group_by=colour', MASTER);
    assert.equal(bad.status, 400);
    assert.equal((await get('/admin/tenants/alpha/usage?from=2025-02-01&to=2025-01-01', MASTER)).status, 400);
    const past = await get('/admin/tenants/alpha/usage?to=2001-01-01', MASTER);
    assert.deepEqual(past.body.data, [], 'a range before any spend is empty');
  });

  test("spend shows the tenant's and each key's budget in the current period", async () => {
    const { status, body } = await get('/admin/tenants/alpha/spend', admin.alpha!);
    assert.equal(status, 200);
    const tenant = body.budget as { spent_usd: number; reserved_usd: number; remaining_usd: number; period: string };
    assert.ok(Math.abs(tenant.spent_usd - 0.036) < 1e-9, `tenant spent ${tenant.spent_usd}`);
    assert.equal(tenant.reserved_usd, 0);
    assert.ok(Math.abs(tenant.remaining_usd - 0.964) < 1e-9, `remaining ${tenant.remaining_usd}`);
    assert.equal(tenant.period, new Date().toISOString().slice(0, 7));
    const keys = body.keys as { key_id: string; budget: { spent_usd: number } | null }[];
    assert.equal(keys.find((key) => key.key_id === user.alpha!.id)?.budget?.spent_usd, 0.036);
    assert.equal(keys.find((key) => key.key_id !== user.alpha!.id)?.budget, null, 'the admin key has no budget');
  });

  test('the price table lists configured rows first, then the shipped versions with their dates', async () => {
    const { status, body } = await get('/admin/prices', admin.beta!);
    assert.equal(status, 200);
    const rows = body.data as { model: string; provider: string | null; source: string; input: number; effective_from: string | null; effective_to: string | null }[];
    assert.deepEqual(rows[0], {
      model: 'premium-upstream', provider: 'up', source: 'config', input: 1000, cached_input: null, cache_write: null, output: 1000, per_request: null,
      effective_from: '2020-01-01T00:00:00.000Z', effective_to: null,
    });
    const gpt4o = rows.filter((row) => row.model === 'gpt-4o' && row.source === 'list');
    assert.deepEqual(
      gpt4o.map((row) => [row.input, row.effective_from, row.effective_to]),
      [
        [5, '2024-05-13T00:00:00.000Z', '2024-10-02T00:00:00.000Z'],
        [2.5, '2024-10-02T00:00:00.000Z', null],
      ],
    );
  });
});
