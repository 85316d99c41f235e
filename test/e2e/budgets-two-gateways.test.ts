/**
 * Two gateways sharing one Redis for budgets (issue 5, DESIGN.md §6): a concurrent burst spread over both against
 * one tenant budget is admitted as if by one gateway (the reservations are atomic in Redis), so the overshoot stays
 * within what the in-flight requests cost beyond their reservations, across both; and each alert threshold fires
 * once per period across both, not once per replica.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { RedisBudgetCounter } from '../../src/budgets/redis-counter.js';
import type { SwitchyardConfigInput } from '../../src/config/schema.js';
import { KeyCache } from '../../src/stores/key-cache.js';
import { openMemoryStores } from '../../src/stores/memory/index.js';
import { startGatedOpenAI, type GatedOpenAI } from '../mocks/gated-openai.js';
import { describeRedis, REDIS_URL, testPrefix } from '../helpers/redis.js';
import { postJson, startTestGateway, type RunningGateway } from '../helpers/server.js';
import { recordingLog, TEST_PEPPER } from '../helpers/stores.js';

/** 8 input tokens estimated + max_tokens 3 at $1000 per 1M: $0.011 reserved; the mock reports 11 + 7: $0.018. */
const RESERVED = 0.011;
const COST = 0.018;
const LIMIT = 0.05;

describeRedis('budgets on two gateways sharing one Redis', () => {
  const { prefix, cleanup } = testPrefix();
  const stores = openMemoryStores(TEST_PEPPER);
  const alerts: { tenant_id: string; threshold_percent: number }[] = [];
  let receiver: Server;
  let cache: KeyCache;
  let gated: GatedOpenAI;
  let counters: RedisBudgetCounter[];
  let gateways: RunningGateway[];

  before(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        alerts.push(JSON.parse(body) as { tenant_id: string; threshold_percent: number });
        res.writeHead(204).end();
      });
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    gated = await startGatedOpenAI();
    cache = await KeyCache.start(stores, { log: recordingLog() });
    const config: SwitchyardConfigInput = {
      resilience: { health_checks: { enabled: false } },
      providers: { up: { type: 'openai', api_key: 'sk-test', base_url: gated.url } },
      models: { premium: { deployments: [{ provider: 'up', model: 'premium-upstream' }] } },
      prices: [{ model: 'premium-upstream', input: 1000, output: 1000 }],
      alerts: { webhooks: [{ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` }], backoff_ms: 20 },
    };
    counters = [0, 1].map(() => new RedisBudgetCounter({ url: REDIS_URL, prefix, timeoutMs: 1000 }));
    gateways = await Promise.all(counters.map((counter) => startTestGateway(config, { keys: cache, stores, budgetCounter: counter })));
  });
  after(async () => {
    for (const gateway of gateways ?? []) await gateway.close();
    for (const counter of counters ?? []) await counter.close();
    await cache?.close();
    await gated?.close();
    receiver?.close();
    await cleanup();
  });

  const send = async (gateway: RunningGateway, secret: string) => {
    const body = { model: 'premium', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 };
    const response = await postJson(`${gateway.url}/v1/chat/completions`, body, { authorization: `Bearer ${secret}` });
    await response.arrayBuffer();
    return response.status;
  };

  test('a burst over both gateways: admitted as by one, overshoot within the in-flight bound, each alert once', async () => {
    await stores.tenants.create({ id: 'shared', name: 'shared', budget: { amount_usd: LIMIT, period: 'day' } });
    const { secret } = await stores.keys.create('shared', { name: 'k' });
    const burst = Array.from({ length: 20 }, (_, index) => send(gateways[index % 2]!, secret));
    // floor(0.05 / 0.011) = 4 reservations fit across both; one gateway alone would admit 4 by itself.
    const admitted = Math.floor(LIMIT / RESERVED);
    await gated.waitForHeld(admitted);
    gated.open();
    const statuses = await Promise.all(burst);
    assert.equal(statuses.filter((status) => status === 200).length, admitted, `exactly ${admitted} admitted over both: ${statuses.join(',')}`);
    assert.equal(statuses.filter((status) => status === 429).length, 20 - admitted, 'the rest refused');
    assert.equal(gated.received, admitted, 'refused requests never reached the upstream');

    const budget = { amount_usd: LIMIT, period: 'day' } as const;
    for (const [index, gateway] of gateways.entries()) {
      const [standing] = await gateway.gateway.budgets.standings([{ scope: 'tenant', id: 'shared', budget }]);
      assert.ok(Math.abs(standing!.spentUsd - admitted * COST) < 1e-9, `gateway ${index} sees every admitted request charged: ${standing!.spentUsd}`);
      assert.equal(standing!.reservedUsd, 0, 'nothing stays reserved');
      const overshoot = standing!.spentUsd - LIMIT;
      assert.ok(overshoot <= admitted * (COST - RESERVED) + 1e-9, `overshoot ${overshoot} within Σ(cost − reservation) of the in-flight requests`);
    }

    // More refusals on both change nothing: every threshold alerted once across the two replicas.
    assert.deepEqual([await send(gateways[0]!, secret), await send(gateways[1]!, secret)], [429, 429]);
    await Promise.all(gateways.map((gateway) => gateway.gateway.budgets.webhooks.drain(5000)));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const mine = alerts.filter((alert) => alert.tenant_id === 'shared').map((alert) => alert.threshold_percent);
    assert.deepEqual(mine.sort((a, b) => a - b), [80, 100], 'one alert per threshold across both gateways');
  });
});
