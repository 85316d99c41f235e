/**
 * Rate limits on a running gateway (GCRA, and the sliding window for the exact variants): tokens/min reserved and reconciled; a key's requests/min lets N through, then 429 rate_limited with retry-after
 * and OpenAI's x-ratelimit-*-requests headers, in the caller's dialect; the tenant's limit covers all its keys;
 * concurrent_requests holds a slot until the response ends; the master key is not limited; a Redis that cannot
 * be reached fails open or closed as configured, without holding the request.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { KeyCache } from '../../src/stores/key-cache.js';
import { openMemoryStores } from '../../src/stores/memory/index.js';
import type { Stores } from '../../src/stores/types.js';
import type { SwitchyardConfigInput } from '../../src/config/schema.js';
import { postJson, simConfig, startTestGateway, type RunningGateway } from '../helpers/server.js';
import { recordingLog, TEST_PEPPER } from '../helpers/stores.js';

const MASTER = 'master-key-for-tests';
const chat = (extra: Record<string, unknown> = {}) => ({ model: 'fast', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3, ...extra });
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function withGateway(config: SwitchyardConfigInput): Promise<{ stores: Stores; gw: RunningGateway; close(): Promise<void> }> {
  const stores = openMemoryStores(TEST_PEPPER);
  const cache = await KeyCache.start(stores, { log: recordingLog() });
  const gw = await startTestGateway(config, { keys: cache });
  return {
    stores,
    gw,
    async close() {
      await gw.close();
      await cache.close();
    },
  };
}

describe('rate limits on the gateway', () => {
  let env: Awaited<ReturnType<typeof withGateway>>;
  before(async () => {
    env = await withGateway(simConfig({ auth: { master_key: MASTER }, providers: { sim: { type: 'sim', ttft_ms: 0, itl_ms: 20 } } }));
    await env.stores.tenants.create({ id: 'acme', name: 'Acme' });
    await env.stores.tenants.create({ id: 'small', name: 'Small', limits: { requests_per_minute: 2 } });
  });
  after(() => env.close());

  test('a key limited to N requests/min: N pass with x-ratelimit headers, the next is 429 in the OpenAI envelope', async () => {
    const { secret } = await env.stores.keys.create('acme', { name: 'three', limits: { requests_per_minute: 3 } });
    for (let i = 0; i < 3; i++) {
      const response = await postJson(`${env.gw.url}/v1/chat/completions`, chat(), bearer(secret));
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-ratelimit-limit-requests'), '3');
      assert.equal(response.headers.get('x-ratelimit-remaining-requests'), String(2 - i));
      assert.match(response.headers.get('x-ratelimit-reset-requests') ?? '', /^(\d+(\.\d+)?s|\d+m\d+(\.\d+)?s)$/);
      await response.arrayBuffer();
    }
    const refused = await postJson(`${env.gw.url}/v1/chat/completions`, chat(), bearer(secret));
    assert.equal(refused.status, 429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter >= 19 && retryAfter <= 20, `retry-after ${retryAfter}`);
    assert.equal(refused.headers.get('x-ratelimit-limit-requests'), '3');
    assert.equal(refused.headers.get('x-ratelimit-remaining-requests'), '0');
    assert.match(refused.headers.get('x-ratelimit-reset-requests') ?? '', /^(59(\.\d+)?s|1m0s)$/);
    const body = (await refused.json()) as { error: { type: string; code: string; message: string } };
    assert.equal(body.error.type, 'rate_limit_error');
    assert.equal(body.error.code, 'rate_limited');
    assert.match(body.error.message, /3 per minute/);
  });

  test('/v1/messages answers 429 in the Anthropic envelope', async () => {
    const { secret } = await env.stores.keys.create('acme', { name: 'one', limits: { requests_per_minute: 1 } });
    const headers = { 'x-api-key': secret, 'anthropic-version': '2023-06-01' };
    const request = { model: 'fast', max_tokens: 3, messages: [{ role: 'user', content: 'hi' }] };
    const ok = await postJson(`${env.gw.url}/v1/messages`, request, headers);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('x-ratelimit-remaining-requests'), '0');
    await ok.arrayBuffer();
    const refused = await postJson(`${env.gw.url}/v1/messages`, request, headers);
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) >= 59);
    assert.equal(refused.headers.get('x-ratelimit-limit-requests'), '1');
    const body = (await refused.json()) as { type: string; error: { type: string } };
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'rate_limit_error');
  });

  test("the tenant's limit covers all its keys together", async () => {
    const a = await env.stores.keys.create('small', { name: 'a' });
    const b = await env.stores.keys.create('small', { name: 'b' });
    const statuses = [];
    for (const secret of [a.secret, b.secret, a.secret]) {
      const response = await postJson(`${env.gw.url}/v1/chat/completions`, chat(), bearer(secret));
      statuses.push(response.status);
      if (response.status === 429) assert.match(((await response.json()) as { error: { message: string } }).error.message, /tenant/);
      else await response.arrayBuffer();
    }
    assert.deepEqual(statuses, [200, 200, 429]);
  });

  test('concurrent_requests: a second request while a stream is open is refused; the slot is back once it ends', async () => {
    const { secret } = await env.stores.keys.create('acme', { name: 'single', limits: { concurrent_requests: 1 } });
    const streaming = await postJson(`${env.gw.url}/v1/chat/completions`, chat({ stream: true, max_tokens: 20 }), bearer(secret));
    assert.equal(streaming.status, 200);
    const busy = await postJson(`${env.gw.url}/v1/chat/completions`, chat(), bearer(secret));
    assert.equal(busy.status, 429);
    assert.equal(busy.headers.get('retry-after'), '1');
    assert.match(((await busy.json()) as { error: { message: string } }).error.message, /concurrent/);
    await streaming.text();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      const next = await postJson(`${env.gw.url}/v1/chat/completions`, chat(), bearer(secret));
      status = next.status;
      await next.arrayBuffer();
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(status, 200);
  });

  test('a refused request gives its concurrency slot back', async () => {
    const { secret } = await env.stores.keys.create('acme', { name: 'both', limits: { concurrent_requests: 1, requests_per_minute: 1 } });
    const first = await postJson(`${env.gw.url}/v1/chat/completions`, chat(), bearer(secret));
    assert.equal(first.status, 200);
    await first.arrayBuffer();
    for (let i = 0; i < 3; i++) {
      const refused = await postJson(`${env.gw.url}/v1/chat/completions`, chat(), bearer(secret));
      const body = (await refused.json()) as { error: { message: string } };
      assert.equal(refused.status, 429);
      assert.match(body.error.message, /per minute/, 'refused by the rate, not by a leaked slot');
    }
  });

  test('a request refused for concurrency gives its requests/min charge back (slots and rate are checked at once)', async () => {
    const { secret } = await env.stores.keys.create('acme', { name: 'slot-and-rate', limits: { concurrent_requests: 1, requests_per_minute: 2 } });
    const streaming = await postJson(`${env.gw.url}/v1/chat/completions`, chat({ stream: true, max_tokens: 20 }), bearer(secret));
    assert.equal(streaming.status, 200);
    for (let i = 0; i < 3; i++) {
      const busy = await postJson(`${env.gw.url}/v1/chat/completions`, chat(), bearer(secret));
      assert.equal(busy.status, 429);
      assert.match(((await busy.json()) as { error: { message: string } }).error.message, /concurrent/);
    }
    await streaming.text();
    let second = 0;
    for (let i = 0; i < 50 && second !== 200; i++) {
      const next = await postJson(`${env.gw.url}/v1/chat/completions`, chat(), bearer(secret));
      second = next.status;
      const body = (await next.json()) as { error?: { message: string } };
      if (second !== 200) assert.match(body.error?.message ?? '', /concurrent/, 'refused by the slot still held, not by the rate');
      if (second !== 200) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(second, 200, 'the refused requests were not charged');
    const third = await postJson(`${env.gw.url}/v1/chat/completions`, chat(), bearer(secret));
    assert.equal(third.status, 429);
    assert.match(((await third.json()) as { error: { message: string } }).error.message, /per minute/);
  });

  test('tokens/min: the estimate is reserved, then reconciled with the reported usage', async () => {
    const { secret } = await env.stores.keys.create('acme', { name: 'tokens', limits: { tokens_per_minute: 1000 } });
    const estimate = Math.ceil(JSON.stringify(chat().messages).length / 4) + 50;
    const started = performance.now();
    const first = await postJson(`${env.gw.url}/v1/chat/completions`, chat({ max_tokens: 50 }), bearer(secret));
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('x-ratelimit-limit-tokens'), '1000');
    assert.equal(first.headers.get('x-ratelimit-remaining-tokens'), String(1000 - estimate));
    assert.equal(first.headers.get('x-ratelimit-limit-requests'), null);
    const used = ((await first.json()) as { usage: { total_tokens: number } }).usage.total_tokens;
    const second = await postJson(`${env.gw.url}/v1/chat/completions`, chat({ max_tokens: 50 }), bearer(secret));
    await second.arrayBuffer();
    // Between the two, the first reservation became its real usage; the limit also refilled 1 token per 60 ms.
    const refilled = Math.ceil((performance.now() - started) / 60);
    const remaining = Number(second.headers.get('x-ratelimit-remaining-tokens'));
    const expected = 1000 - used - estimate;
    assert.ok(remaining >= expected && remaining <= expected + refilled, `remaining ${remaining}, expected ${expected} + up to ${refilled}`);
  });

  test('tokens/min: a request larger than the whole limit is refused without a retry-after', async () => {
    const { secret } = await env.stores.keys.create('acme', { name: 'tiny', limits: { tokens_per_minute: 100 } });
    const refused = await postJson(`${env.gw.url}/v1/chat/completions`, chat({ max_tokens: 500 }), bearer(secret));
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), null);
    assert.match(((await refused.json()) as { error: { message: string } }).error.message, /too large.*limit is 100/);
    const fits = await postJson(`${env.gw.url}/v1/chat/completions`, chat({ max_tokens: 10 }), bearer(secret));
    assert.equal(fits.status, 200, 'the refusal reserved nothing');
    await fits.arrayBuffer();
  });

  test('the master key and unlimited keys get no x-ratelimit headers and are not limited', async () => {
    const { secret } = await env.stores.keys.create('acme', { name: 'free' });
    for (const credential of [MASTER, secret]) {
      const response = await postJson(`${env.gw.url}/v1/chat/completions`, chat(), bearer(credential));
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-ratelimit-limit-requests'), null);
      await response.arrayBuffer();
    }
  });
});

describe('rate limits on the gateway with limits.algorithm: sliding_window', () => {
  let env: Awaited<ReturnType<typeof withGateway>>;
  before(async () => {
    env = await withGateway(simConfig({ auth: { master_key: MASTER }, limits: { algorithm: 'sliding_window' } }));
    await env.stores.tenants.create({ id: 'acme', name: 'Acme' });
  });
  after(() => env.close());

  test('N pass with x-ratelimit headers, the next waits a whole minute for the first to leave', async () => {
    const { secret } = await env.stores.keys.create('acme', { name: 'three', limits: { requests_per_minute: 3 } });
    for (let i = 0; i < 3; i++) {
      const response = await postJson(`${env.gw.url}/v1/chat/completions`, chat(), bearer(secret));
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-ratelimit-remaining-requests'), String(2 - i));
      assert.equal(response.headers.get('x-ratelimit-reset-requests'), '1m0s', 'empty again a minute after the newest');
      await response.arrayBuffer();
    }
    const refused = await postJson(`${env.gw.url}/v1/chat/completions`, chat(), bearer(secret));
    assert.equal(refused.status, 429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter >= 59 && retryAfter <= 60, `retry-after ${retryAfter}`);
    assert.equal(refused.headers.get('x-ratelimit-remaining-requests'), '0');
    await refused.arrayBuffer();
  });

  test('tokens/min: the reservation becomes the reported usage exactly (no refill in between)', async () => {
    const { secret } = await env.stores.keys.create('acme', { name: 'tokens', limits: { tokens_per_minute: 1000 } });
    const estimate = Math.ceil(JSON.stringify(chat().messages).length / 4) + 50;
    const first = await postJson(`${env.gw.url}/v1/chat/completions`, chat({ max_tokens: 50 }), bearer(secret));
    assert.equal(first.headers.get('x-ratelimit-remaining-tokens'), String(1000 - estimate));
    const used = ((await first.json()) as { usage: { total_tokens: number } }).usage.total_tokens;
    const second = await postJson(`${env.gw.url}/v1/chat/completions`, chat({ max_tokens: 50 }), bearer(secret));
    await second.arrayBuffer();
    assert.ok(used < estimate, `the sim used less than reserved (${used} < ${estimate})`);
    assert.equal(second.headers.get('x-ratelimit-remaining-tokens'), String(1000 - used - estimate));
  });
});

describe('rate limits when Redis cannot be reached', () => {
  for (const failOpen of [true, false]) {
    test(`fail_open: ${failOpen} ${failOpen ? 'lets the request through' : 'refuses it with 503 limits_unavailable'}, quickly`, async () => {
      const env = await withGateway(
        simConfig({ auth: { master_key: MASTER }, limits: { store: 'redis', redis_url: 'redis://127.0.0.1:1', timeout_ms: 100, fail_open: failOpen } }),
      );
      try {
        await env.stores.tenants.create({ id: 'acme', name: 'Acme' });
        const { secret } = await env.stores.keys.create('acme', { name: 'limited', limits: { requests_per_minute: 1, concurrent_requests: 1 } });
        const started = performance.now();
        const response = await postJson(`${env.gw.url}/v1/chat/completions`, chat(), bearer(secret));
        assert.ok(performance.now() - started < 1500, 'answered without waiting for Redis');
        if (failOpen) {
          assert.equal(response.status, 200);
          await response.arrayBuffer();
        } else {
          assert.equal(response.status, 503);
          assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'limits_unavailable');
          assert.equal(response.headers.get('retry-after'), '1');
        }
      } finally {
        await env.close();
      }
    });
  }
});
