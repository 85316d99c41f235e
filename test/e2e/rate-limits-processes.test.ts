/**
 * Exactness across real replicas (issue 5 §4): two gateway OS processes (`node dist/main.js`; `npm run build`
 * first, else they run from source) share a PostgreSQL store (this file's own schema) and one Redis, with
 * `limits.algorithm: sliding_window`. A key limited to 100 requests/min, created in the store before they
 * start, gets 500 concurrent requests split across both: exactly 100 pass, exactly 400 are 429 with a
 * retry-after of about a minute (when the first admitted request leaves the window).
 *
 * The processes use the Redis server's clock, which the test cannot freeze; the sliding window needs no
 * freezing: nothing is earned back until a minute after the first admission, far longer than the burst takes.
 * (GCRA would earn one more request every 600 ms, so it could only be bounded, not counted exactly.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import type { Stores } from '../../src/stores/types.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { describePostgres, POSTGRES_URL, testSchema } from '../helpers/postgres.js';
import { describeRedis, REDIS_URL, testPrefix } from '../helpers/redis.js';
import { openPostgres, TEST_PEPPER } from '../helpers/stores.js';

const MASTER = 'master-key-for-process-tests';
const LIMIT = 100;
const REQUESTS = 500;

async function redisTimeMs(redis: Redis): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

// The first admission leaves the window a minute later: a burst slower than that could legitimately admit more.
const WINDOW_MS = 60_000;

describePostgres('two gateway processes', () => {
  describeRedis('sharing PostgreSQL and Redis', () => {
    const schema = testSchema();
    const { prefix, cleanup } = testPrefix();
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-processes-'));
    const processes: GatewayProcess[] = [];
    const urls: string[] = [];
    let stores: Stores;
    let redis: Redis;
    let secret: string;

    before(async () => {
      stores = await openPostgres(schema.name);
      await stores.tenants.create({ id: 'acme', name: 'Acme' });
      ({ secret } = await stores.keys.create('acme', { name: 'hundred', limits: { requests_per_minute: LIMIT } }));
      redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      const config = [
        'server: { port: 0, host: 127.0.0.1 }',
        `auth: { master_key: ${MASTER} }`,
        `store: { driver: postgres, url: "${POSTGRES_URL}", schema: ${schema.name}, pool_size: 2 }`,
        `limits: { store: redis, redis_url: "${REDIS_URL}", redis_prefix: "${prefix}", timeout_ms: 5000, fail_open: false, algorithm: sliding_window }`,
        'providers:',
        '  sim: { type: sim, ttft_ms: 0, itl_ms: 0 }',
        'models:',
        '  sim-small: { deployments: [{ provider: sim, model: sim-small }] }',
        'resilience: { health_checks: { enabled: false } }',
      ].join('\n');
      writeFileSync(join(dir, 'switchyard.yaml'), config);
      for (let index = 0; index < 2; index += 1) {
        processes.push(new GatewayProcess(join(dir, 'switchyard.yaml'), { SWITCHYARD_KEY_PEPPER: TEST_PEPPER }));
      }
      urls.push(...(await Promise.all(processes.map((child) => child.listening()))));
      // Warm each process's Redis connection and HTTP path with the (unlimited) master key.
      for (const url of urls) {
        const response = await fetch(`${url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${MASTER}` },
          body: JSON.stringify({ model: 'sim-small', messages: [{ role: 'user', content: 'warm up' }], max_tokens: 1 }),
        });
        assert.equal(response.status, 200, `${url} serves`);
        await response.arrayBuffer();
      }
    });
    after(async () => {
      await Promise.all(processes.map((child) => child.stop()));
      await stores?.close();
      redis?.disconnect();
      await cleanup();
      await schema.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    test(`${REQUESTS} concurrent requests across both against ${LIMIT}/min: exactly ${LIMIT} pass, exactly ${REQUESTS - LIMIT} get 429 with retry-after`, async (t) => {
      const body = JSON.stringify({ model: 'sim-small', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 });
      const startedAt = await redisTimeMs(redis);
      const answers = await Promise.all(
        Array.from({ length: REQUESTS }, async (_, index) => {
          const response = await fetch(`${urls[index % 2]!}/v1/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
            body,
          });
          await response.arrayBuffer();
          return { status: response.status, retryAfter: response.headers.get('retry-after') };
        }),
      );
      const tookMs = (await redisTimeMs(redis)) - startedAt;

      const passed = answers.filter((answer) => answer.status === 200).length;
      const limited = answers.filter((answer) => answer.status === 429);
      t.diagnostic(`${passed} passed, ${limited.length} refused; the burst took ${tookMs} ms by the Redis clock`);
      assert.ok(tookMs < WINDOW_MS, `the burst ran within one window (${tookMs} ms), so the count must be exact`);
      assert.equal(passed + limited.length, REQUESTS, `every answer is 200 or 429 (got ${[...new Set(answers.map((a) => a.status))].join(', ')})`);
      assert.equal(passed, LIMIT, `exactly ${LIMIT} pass`);
      assert.equal(limited.length, REQUESTS - LIMIT, `exactly ${REQUESTS - LIMIT} are refused`);
      const waits = [...new Set(limited.map((answer) => Number(answer.retryAfter)))].sort((a, b) => a - b);
      assert.ok(
        waits.every((seconds) => seconds >= 1 && seconds <= 60 && seconds >= 60 - Math.ceil(tookMs / 1000) - 1),
        `every 429 says to come back once the first admission has left the window, within a minute (got ${waits.join(', ')})`,
      );
      const perProcess = [0, 1].map((side) => answers.filter((answer, index) => index % 2 === side && answer.status === 200).length);
      assert.ok(perProcess.every((count) => count > 0), `both processes admitted some (got ${perProcess.join(' + ')})`);
    });
  });
});
