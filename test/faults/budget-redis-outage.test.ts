/**
 * Budgets when the counter store's Redis goes away under a running gateway (issue 5, DESIGN.md §12), cut through
 * a TCP proxy silently (blackhole) or loudly (refuse). Fail-open: requests are served within a bounded time and
 * their cost is counted once Redis is back, exactly once. Fail-closed: 503 budget_unavailable with retry-after.
 * Either way the outage is one state change (log + `switchyard_dependency_up{dependency="redis_budgets"}`) and
 * budgets work again without a restart.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RedisBudgetCounter } from '../../src/budgets/redis-counter.js';
import { parseConfig } from '../../src/config/load.js';
import type { SwitchyardConfigInput } from '../../src/config/schema.js';
import { KeyCache } from '../../src/stores/key-cache.js';
import { openMemoryStores } from '../../src/stores/memory/index.js';
import { startOpenAIMock, type OpenAIMock } from '../mocks/openai-mock.js';
import { describeRedis, REDIS_URL, testPrefix } from '../helpers/redis.js';
import { postJson, startTestGateway, type RunningGateway } from '../helpers/server.js';
import { recordingLog, TEST_PEPPER } from '../helpers/stores.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const MASTER = 'master-key-for-tests';
const TIMEOUT_MS = 250;
/** Far above TIMEOUT_MS, far below "the request waited for Redis to come back". */
const BOUNDED_MS = 3000;
/** The mock reports 11 input + 7 output tokens at $1000 per 1M: $0.018 a request, 18,000,000 nano-dollars. */
const COST_NANOS = 18_000_000;
const BUDGET = { amount_usd: 10, period: 'day' } as const;

describeRedis('budgets through a Redis outage', () => {
  const { prefix, cleanup } = testPrefix();
  const stores = openMemoryStores(TEST_PEPPER);
  const changes: boolean[] = [];
  let proxy: TcpProxy;
  let counter: RedisBudgetCounter;
  let cache: KeyCache;
  let mock: OpenAIMock;
  let gateway: RunningGateway;
  let secret: string;
  let tenants = 0;

  const config = (failOpen: boolean): SwitchyardConfigInput => ({
    auth: { master_key: MASTER },
    server: { host: '127.0.0.1', port: 0 },
    resilience: { health_checks: { enabled: false } },
    providers: { up: { type: 'openai', api_key: 'sk-test', base_url: mock.url } },
    models: { premium: { deployments: [{ provider: 'up', model: 'premium-upstream' }] } },
    prices: [{ model: 'premium-upstream', input: 1000, output: 1000 }],
    budgets: { fail_open: failOpen },
  });
  const reload = (failOpen: boolean) => gateway.gateway.reload(parseConfig(config(failOpen), process.env, 'test'));

  before(async () => {
    mock = await startOpenAIMock();
    proxy = await TcpProxy.start(REDIS_URL);
    counter = new RedisBudgetCounter({ url: proxy.urlFor(REDIS_URL), prefix, timeoutMs: TIMEOUT_MS });
    counter.availability.onChange((up) => changes.push(up));
    cache = await KeyCache.start(stores, { log: recordingLog() });
    gateway = await startTestGateway(config(true), { keys: cache, stores, budgetCounter: counter });
  });
  after(async () => {
    await gateway.close();
    await counter.close();
    await cache.close();
    await mock.close();
    await proxy.close();
    await cleanup();
  });

  async function freshTenant(): Promise<string> {
    const tenant = await stores.tenants.create({ id: `outage-${++tenants}`, name: 'budgeted', budget: BUDGET });
    secret = (await stores.keys.create(tenant.id, { name: 'k' })).secret;
    return tenant.id;
  }

  async function call(): Promise<{ status: number; code: string | undefined; ms: number; retryAfter: string | null }> {
    const started = performance.now();
    const body = { model: 'premium', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 };
    const response = await postJson(`${gateway.url}/v1/chat/completions`, body, { authorization: `Bearer ${secret}` });
    const json = (await response.json()) as { error?: { code: string } };
    return { status: response.status, code: json.error?.code, ms: performance.now() - started, retryAfter: response.headers.get('retry-after') };
  }

  async function gauge(): Promise<number> {
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    const line = text.split('\n').find((row) => row.startsWith('switchyard_dependency_up{dependency="redis_budgets"}'));
    assert.ok(line !== undefined, 'the budget counter store has a dependency gauge');
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }

  async function spentNanos(tenantId: string): Promise<{ spent: number; reserved: number }> {
    const [standing] = await gateway.gateway.budgets.standings([{ scope: 'tenant', id: tenantId, budget: BUDGET }]);
    return { spent: Math.round(standing!.spentUsd * 1e9), reserved: Math.round(standing!.reservedUsd * 1e9) };
  }

  async function until(what: string, check: () => Promise<boolean> | boolean, limitMs = 10_000): Promise<void> {
    const started = performance.now();
    while (performance.now() - started < limitMs) {
      // A check that reads Redis may fail while the connection is (re)opening: not yet.
      if (await Promise.resolve(check()).catch(() => false)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.fail(`${what}: not within ${limitMs} ms`);
  }

  async function failOpen(cut: () => void): Promise<void> {
    const tenantId = await freshTenant();
    await until('Redis answers before the cut', async () => (await spentNanos(tenantId)).spent === 0);
    assert.equal((await call()).status, 200, 'served before the cut');
    await until('the first request is settled', async () => (await spentNanos(tenantId)).spent === COST_NANOS);
    changes.length = 0;
    cut();
    for (let round = 0; round < 5; round += 1) {
      const served = await call();
      assert.equal(served.status, 200, `round ${round}: served fail-open while Redis is down`);
      assert.ok(served.ms < BOUNDED_MS, `round ${round}: answered in ${Math.round(served.ms)} ms, not waiting for Redis`);
    }
    assert.deepEqual(changes, [false], 'five failed calls are one state change');
    assert.equal(await gauge(), 0, 'the gauge shows the budget Redis down');
    await until('the five settlements wait', () => gateway.gateway.budgets.uncounted.nanos === 5 * COST_NANOS, 3000);
    proxy.resume();
    await until('the held spend is counted after recovery', () => gateway.gateway.budgets.uncounted.size === 0);
    assert.deepEqual(changes, [false, true], 'the recovery is one more state change');
    assert.equal(await gauge(), 1, 'the gauge shows it up again');
    assert.deepEqual(await spentNanos(tenantId), { spent: 6 * COST_NANOS, reserved: 0 }, 'every request counted exactly once');
  }

  async function failClosed(cut: () => void): Promise<void> {
    const tenantId = await freshTenant();
    await reload(false);
    try {
      await until('Redis answers before the cut', async () => (await spentNanos(tenantId)).spent === 0);
      assert.equal((await call()).status, 200, 'served before the cut');
      cut();
      for (let round = 0; round < 3; round += 1) {
        const refused = await call();
        assert.equal(refused.status, 503, `round ${round}: refused while Redis is down`);
        assert.equal(refused.code, 'budget_unavailable');
        assert.equal(refused.retryAfter, '1');
        assert.ok(refused.ms < BOUNDED_MS, `round ${round}: refused in ${Math.round(refused.ms)} ms`);
      }
      proxy.resume();
      await until('budgets are checked again without a restart', async () => (await call()).status === 200);
      assert.equal(gateway.gateway.budgets.uncounted.size, 0, 'refused requests owe nothing');
      const { spent, reserved } = await spentNanos(tenantId);
      assert.equal(reserved, 0, 'nothing stays reserved');
      assert.ok(spent >= 2 * COST_NANOS && spent % COST_NANOS === 0, `only served requests are counted: ${spent}`);
    } finally {
      proxy.resume();
      await reload(true);
    }
  }

  test('blackhole, fail-open: served within bounded time, spend counted once Redis is back', async () => {
    await failOpen(() => proxy.blackhole());
  });

  test('refuse, fail-open: same', async () => {
    await failOpen(() => proxy.refuse());
  });

  test('blackhole, fail-closed: 503 budget_unavailable + retry-after, then budgets work again', async () => {
    await failClosed(() => proxy.blackhole());
  });

  test('refuse, fail-closed: same', async () => {
    await failClosed(() => proxy.refuse());
  });
});
