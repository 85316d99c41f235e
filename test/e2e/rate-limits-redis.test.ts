/**
 * Exactness across replicas (issue 5 §4): two gateways, each with its own Redis limiter, share one Redis; 500
 * concurrent requests against a key limited to 100/min → exactly 100 pass, 400 are 429. Under GCRA the
 * limiters' clock is frozen so the test measures atomicity alone (on the server's clock a slow run would
 * legitimately earn one more request every 600 ms); the sliding window is exact on the server's clock.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RedisRateLimiter } from '../../src/limits/redis-limiter.js';
import type { RateAlgorithm } from '../../src/limits/types.js';
import { KeyCache } from '../../src/stores/key-cache.js';
import { openMemoryStores } from '../../src/stores/memory/index.js';
import { describeRedis, REDIS_URL, testPrefix } from '../helpers/redis.js';
import { postJson, simConfig, startTestGateway, type RunningGateway } from '../helpers/server.js';
import { recordingLog, TEST_PEPPER } from '../helpers/stores.js';

const ALGORITHMS: readonly RateAlgorithm[] = ['gcra', 'sliding_window'];

for (const algorithm of ALGORITHMS) describeRedis(`two gateways sharing Redis (${algorithm})`, () => {
  const { prefix, cleanup } = testPrefix();
  const frozen = Date.now();
  const now = algorithm === 'gcra' ? () => frozen : undefined;
  const stores = openMemoryStores(TEST_PEPPER);
  let cache: KeyCache;
  const limiters = [0, 1].map(() => new RedisRateLimiter({ url: REDIS_URL, prefix, timeoutMs: 5000, now, algorithm }));
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
    const startedAt = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 500 }, async (_, index) => {
        const response = await postJson(`${gateways[index % 2]!.url}/v1/chat/completions`, body, { authorization: `Bearer ${secret}` });
        await response.arrayBuffer();
        return { status: response.status, retryAfter: Number(response.headers.get('retry-after')) };
      }),
    );
    assert.equal(answers.filter((answer) => answer.status === 200).length, 100);
    const limited = answers.filter((answer) => answer.status === 429);
    assert.equal(limited.length, 400);
    // Sliding window: the wait runs to the end of the first admitted request's minute, so a 429 answered later in
    // the burst says less than 60 s; a burst that takes seconds on a busy machine lowers the floor that much.
    const burstSeconds = Math.ceil((Date.now() - startedAt) / 1000);
    const waits = algorithm === 'gcra' ? [1, 1] : [59 - burstSeconds, 60];
    assert.ok(
      limited.every((answer) => answer.retryAfter >= waits[0]! && answer.retryAfter <= waits[1]!),
      `every 429 says to come back in ${waits.join('-')} s (got ${[...new Set(limited.map((answer) => answer.retryAfter))].join(', ')})`,
    );
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
