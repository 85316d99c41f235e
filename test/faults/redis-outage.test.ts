/**
 * Rate limits when Redis goes away under a running gateway (issue 5, DESIGN.md §12): Redis is reached through a
 * TCP proxy that the test cuts silently (blackhole: connections hang) or loudly (refuse: connections reset).
 * Keys that fail open keep being served, keys that fail closed get 503 limits_unavailable, every answer comes
 * within a bounded time, the outage is one state change (metric + log), and limits work again without a
 * restart once Redis is back.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { RedisRateLimiter } from '../../src/limits/redis-limiter.js';
import { KeyCache } from '../../src/stores/key-cache.js';
import { openMemoryStores } from '../../src/stores/memory/index.js';
import { describeRedis, REDIS_URL, testPrefix } from '../helpers/redis.js';
import { postJson, simConfig, startTestGateway, type RunningGateway } from '../helpers/server.js';
import { recordingLog, TEST_PEPPER } from '../helpers/stores.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const MASTER = 'master-key-for-tests';
const TIMEOUT_MS = 150;
/** Far above TIMEOUT_MS, far below "the request waited for Redis to come back". */
const BOUNDED_MS = 3000;

describeRedis('rate limits through a Redis outage', () => {
  const { prefix, cleanup } = testPrefix();
  const stores = openMemoryStores(TEST_PEPPER);
  const changes: boolean[] = [];
  let proxy: TcpProxy;
  let limiter: RedisRateLimiter;
  let cache: KeyCache;
  let gateway: RunningGateway;
  let open: string;
  let closed: string;
  const config = (failOpen: boolean) => simConfig({ auth: { master_key: MASTER }, limits: { fail_open: failOpen } });

  before(async () => {
    proxy = await TcpProxy.start(REDIS_URL);
    limiter = new RedisRateLimiter({ url: proxy.urlFor(REDIS_URL), prefix, timeoutMs: TIMEOUT_MS });
    limiter.availability.onChange((up) => changes.push(up));
    cache = await KeyCache.start(stores, { log: recordingLog() });
    gateway = await startTestGateway(config(true), { keys: cache, limiter });
    await stores.tenants.create({ id: 'acme', name: 'Acme' });
    open = (await stores.keys.create('acme', { name: 'open', limits: { requests_per_minute: 10_000 } })).secret;
    closed = (await stores.keys.create('acme', { name: 'closed', limits: { requests_per_minute: 10_000, fail_open: false } })).secret;
  });
  after(async () => {
    await gateway.close();
    await limiter.close();
    await cache.close();
    await proxy.close();
    await cleanup();
  });

  async function call(secret: string): Promise<{ status: number; code: string | undefined; ms: number; retryAfter: string | null }> {
    const started = performance.now();
    const body = { model: 'fast', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 };
    const response = await postJson(`${gateway.url}/v1/chat/completions`, body, { authorization: `Bearer ${secret}` });
    const json = (await response.json()) as { error?: { code: string } };
    return { status: response.status, code: json.error?.code, ms: performance.now() - started, retryAfter: response.headers.get('retry-after') };
  }

  async function metric(name: string): Promise<number> {
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    const line = text.split('\n').find((row) => row.startsWith(name));
    return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
  }

  /** Polls until both keys are limited by Redis again (200 for the fail-closed one), within 10 s. */
  async function recovered(): Promise<number> {
    const started = performance.now();
    while (performance.now() - started < 10_000) {
      if ((await call(closed)).status === 200) return performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.fail('limits did not work again within 10 s of Redis coming back');
  }

  async function outage(cut: () => void): Promise<void> {
    assert.equal((await call(closed)).status, 200, 'Redis answers before the cut');
    changes.length = 0;
    const allowedBefore = await metric('switchyard_rate_limit_store_failures_total{outcome="allowed"}');
    cut();
    for (let round = 0; round < 5; round += 1) {
      const [fine, refused] = await Promise.all([call(open), call(closed)]);
      assert.equal(fine.status, 200, `round ${round}: a fail-open key is served while Redis is down`);
      assert.equal(refused.status, 503, `round ${round}: a fail-closed key is refused while Redis is down`);
      assert.equal(refused.code, 'limits_unavailable');
      assert.equal(refused.retryAfter, '1');
      assert.ok(fine.ms < BOUNDED_MS && refused.ms < BOUNDED_MS, `round ${round}: answered in ${fine.ms} / ${refused.ms} ms, not waiting for Redis`);
    }
    assert.deepEqual(changes, [false], 'ten failed checks are one state change');
    assert.equal(await metric('switchyard_dependency_up{dependency="redis_rate_limits"}'), 0, 'the gauge shows Redis down');
    assert.ok(
      (await metric('switchyard_rate_limit_store_failures_total{outcome="allowed"}')) - allowedBefore >= 5,
      'requests let through are counted',
    );
    proxy.resume();
    await recovered();
    assert.deepEqual(changes, [false, true], 'the recovery is one more state change');
    assert.equal(await metric('switchyard_dependency_up{dependency="redis_rate_limits"}'), 1, 'the gauge shows Redis up');
  }

  test('blackhole (connections hang): fail-open keys served, fail-closed keys 503, recovery without restart', async () => {
    await outage(() => proxy.blackhole());
  });

  test('refuse (connections reset): same, and the limits count again after recovery', async () => {
    await outage(() => proxy.refuse());
    const { secret } = await stores.keys.create('acme', { name: 'two', limits: { requests_per_minute: 2 } });
    const statuses = [(await call(secret)).status, (await call(secret)).status, (await call(secret)).status];
    assert.deepEqual(statuses, [200, 200, 429], 'the limit is enforced by Redis again');
  });

  test('a reload to fail_open: false refuses keys without their own setting; a key with fail_open: true still passes', async () => {
    const lenient = (await stores.keys.create('acme', { name: 'lenient', limits: { requests_per_minute: 100, fail_open: true } })).secret;
    await gateway.gateway.reload(parseConfig({ ...config(false), server: { host: '127.0.0.1', port: 0 } }, process.env, 'test'));
    proxy.refuse();
    try {
      assert.equal((await call(open)).status, 503, 'the config default now fails closed');
      assert.equal((await call(lenient)).status, 200, "the key's own fail_open wins");
    } finally {
      proxy.resume();
      await recovered();
      await gateway.gateway.reload(parseConfig({ ...config(true), server: { host: '127.0.0.1', port: 0 } }, process.env, 'test'));
    }
  });
});
