/**
 * Exactness across replicas (issue 5 §4): two gateways, each with its own Redis limiter, share one Redis; 500
 * concurrent requests against a key limited to 100/min → exactly 100 pass, 400 are 429. The limiters' clock
 * is frozen so the test measures atomicity alone: on the server's clock a slow run would legitimately earn
 * one more request every 600 ms.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RedisRateLimiter } from '../../src/limits/redis-limiter.js';
import { KeyCache } from '../../src/stores/key-cache.js';
import { openMemoryStores } from '../../src/stores/memory/index.js';
import { describeRedis, REDIS_URL, testPrefix } from '../helpers/redis.js';
import { postJson, simConfig, startTestGateway, type RunningGateway } from '../helpers/server.js';
import { recordingLog, TEST_PEPPER } from '../helpers/stores.js';

describeRedis('two gateways sharing Redis', () => {
  const { prefix, cleanup } = testPrefix();
  const frozen = Date.now();
  const stores = openMemoryStores(TEST_PEPPER);
  let cache: KeyCache;
  const limiters = [0, 1].map(() => new RedisRateLimiter({ url: REDIS_URL, prefix, timeoutMs: 5000, now: () => frozen }));
  const gateways: RunningGateway[] = [];

  before(async () => {
    cache = await KeyCache.start(stores, { log: recordingLog() });
    for (const limiter of limiters) {
      gateways.push(await startTestGateway(simConfig({
          auth: { master_key: 'master-key-for-tests' },
          limits: { fail_open: false },
          // Streams last ~100 ms: long enough to be open at once.
          providers: { sim: { type: 'sim', ttft_ms: 0, itl_ms: 20 } },
        }), { keys: cache, limiter }));
    }
    await stores.tenants.create({ id: 'acme', name: 'Acme' });
  });
  after(async () => {
    for (const gateway of gateways) await gateway.close();
    for (const limiter of limiters) await limiter.close();
    await cache.close();
    await cleanup();
  });

  test('500 concurrent requests against a limit of 100/min: exactly 100 pass', async () => {
    const { secret } = await stores.keys.create('acme', { name: 'hundred', limits: { requests_per_minute: 100 } });
    const body = { model: 'fast', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 };
    const statuses = await Promise.all(
      Array.from({ length: 500 }, async (_, index) => {
        const response = await postJson(`${gateways[index % 2]!.url}/v1/chat/completions`, body, { authorization: `Bearer ${secret}` });
        await response.arrayBuffer();
        return response.status;
      }),
    );
    assert.equal(statuses.filter((status) => status === 200).length, 100);
    assert.equal(statuses.filter((status) => status === 429).length, 400);
  });

  test('concurrent_requests is one count across both gateways', async () => {
    const { secret } = await stores.keys.create('acme', { name: 'two at a time', limits: { concurrent_requests: 2 } });
    const stream = { model: 'fast', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5, stream: true };
    const open = [
      await postJson(`${gateways[0]!.url}/v1/chat/completions`, stream, { authorization: `Bearer ${secret}` }),
      await postJson(`${gateways[1]!.url}/v1/chat/completions`, stream, { authorization: `Bearer ${secret}` }),
    ];
    assert.deepEqual(open.map((response) => response.status), [200, 200]);
    const third = await postJson(`${gateways[0]!.url}/v1/chat/completions`, stream, { authorization: `Bearer ${secret}` });
    assert.equal(third.status, 429);
    await third.arrayBuffer();
    for (const response of open) await response.text();
  });
});
