/**
 * Budgets on a running gateway (issue 5): reservations at the route's dearest price, block (429 insufficient_quota)
 * and downgrade (served by `downgrade_to`, still charged), alerts at 80% and 100% once per period to signed
 * webhooks with retries, the overshoot bound under a concurrent burst, and counters seeded from the rollups
 * after a restart. Costs are exact: the mocks report 11 input + 7 output tokens, prices are configured.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { SwitchyardConfigInput } from '../../src/config/schema.js';
import type { Budget } from '../../src/core/tenancy.js';
import { KeyCache } from '../../src/stores/key-cache.js';
import { openMemoryStores } from '../../src/stores/memory/index.js';
import type { Stores } from '../../src/stores/types.js';
import { startGatedOpenAI, type GatedOpenAI } from '../mocks/gated-openai.js';
import { startOpenAIMock, type OpenAIMock } from '../mocks/openai-mock.js';
import { postJson, startTestGateway, type RunningGateway } from '../helpers/server.js';
import { recordingLog, TEST_PEPPER } from '../helpers/stores.js';

const MASTER = 'master-key-for-tests';
// 31 characters of messages → 8 input tokens estimated, + max_tokens 3 = 11 tokens reserved.
const chat = (model: string) => ({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
/** premium: $1000 per 1M tokens either way, so a request reserves $0.011 and costs $0.018. */
const RESERVED = 0.011;
const COST = 0.018;
const WEBHOOK_SECRET = 'whsec-0123456789abcdef';

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}

function config(upstream: string, webhook?: string): SwitchyardConfigInput {
  return {
    auth: { master_key: MASTER },
    resilience: { health_checks: { enabled: false } },
    providers: { up: { type: 'openai', api_key: 'sk-test', base_url: upstream } },
    models: {
      premium: { deployments: [{ provider: 'up', model: 'premium-upstream' }] },
      cheap: { deployments: [{ provider: 'up', model: 'cheap-upstream' }] },
    },
    prices: [
      { model: 'premium-upstream', input: 1000, output: 1000 },
      { model: 'cheap-upstream', input: 1, output: 1 },
    ],
    alerts: webhook === undefined ? {} : { webhooks: [{ url: webhook, secret: WEBHOOK_SECRET }, { url: `${webhook}/slack`, format: 'slack' }], backoff_ms: 20 },
  };
}

interface Receiver {
  url: string;
  deliveries: Delivery[];
  server: Server;
  /** Deliveries answered 503 (only the very first JSON one). */
  refused: number;
}

async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = { url: '', deliveries: [], server: createServer(), refused: 0 };
  const { deliveries } = receiver;
  const server = receiver.server.on('request', (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      if (req.url === '/' && receiver.refused === 0) {
        receiver.refused++;
        res.writeHead(503).end();
        return;
      }
      deliveries.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}

async function send(gw: RunningGateway, secret: string, model = 'premium'): Promise<Response> {
  const response = await postJson(`${gw.url}/v1/chat/completions`, chat(model), bearer(secret));
  await response.clone().arrayBuffer();
  return response;
}

describe('budgets on the gateway', () => {
  let stores: Stores;
  let cache: KeyCache;
  let mock: OpenAIMock;
  let receiver: Receiver;
  let gw: RunningGateway;
  let tenants = 0;

  async function keyWith(tenantBudget: Budget | null, keyBudget: Budget | null = null): Promise<{ tenantId: string; keyId: string; secret: string }> {
    const tenant = await stores.tenants.create({ id: `budget-${++tenants}`, name: 'budgeted', budget: tenantBudget });
    const { key, secret } = await stores.keys.create(tenant.id, { name: 'k', budget: keyBudget });
    return { tenantId: tenant.id, keyId: key.id, secret };
  }

  before(async () => {
    stores = openMemoryStores(TEST_PEPPER);
    cache = await KeyCache.start(stores, { log: recordingLog() });
    mock = await startOpenAIMock();
    receiver = await startReceiver();
    gw = await startTestGateway(config(mock.url, receiver.url), { keys: cache, stores });
  });
  after(async () => {
    await gw.close();
    await cache.close();
    await mock.close();
    receiver.server.close();
  });

  test('block: requests pass while their reservation fits, then 429 insufficient_quota naming the budget and its reset', async () => {
    const { secret } = await keyWith({ amount_usd: 0.05, period: 'day', on_exhausted: 'block' });
    // Spent before each: 0, 0.018, 0.036 (+ 0.011 reserved ≤ 0.05); then 0.054 is over.
    for (let index = 0; index < 3; index++) {
      const response = await send(gw, secret);
      assert.equal(response.status, 200, `request ${index + 1} fits`);
      assert.equal(response.headers.get('x-switchyard-cost-usd'), COST.toFixed(8));
    }
    const refused = await send(gw, secret);
    assert.equal(refused.status, 429);
    const { error } = (await refused.json()) as { error: { type: string; code: string; message: string } };
    assert.equal(error.type, 'insufficient_quota');
    assert.equal(error.code, 'budget_exceeded');
    assert.match(error.message, /tenant's daily budget of \$0\.05 is used up \(\$0\.05 spent/);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    assert.ok(error.message.includes(`resets at ${tomorrow}T00:00:00.000Z`), `the message names the reset: ${error.message}`);
  });

  test('metrics: switchyard_budget_used_ratio follows the tenant budget (spent + reserved) / amount', async () => {
    const { secret, tenantId } = await keyWith({ amount_usd: 0.1, period: 'day' });
    const scrape = async () => (await fetch(`${gw.url}/metrics`)).text();
    const series = new RegExp(`^switchyard_budget_used_ratio\\{scope="tenant",tenant="${tenantId}",period="day"\\} (\\S+)$`, 'm');
    const before = await scrape();
    assert.match(before, /^# TYPE switchyard_budget_used_ratio gauge$/m, 'the gauge is registered');
    assert.doesNotMatch(before, series, 'no series before the tenant spends');
    assert.equal((await send(gw, secret)).status, 200);
    let value: number | undefined;
    for (let attempt = 0; attempt < 50 && value !== COST / 0.1; attempt++) {
      const match = series.exec(await scrape());
      value = match === null ? undefined : Number(match[1]);
      if (value !== COST / 0.1) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(value !== undefined && Math.abs(value - COST / 0.1) < 1e-9, `after one request the tenant has used 18%: ${value}`);
  });

  test('downgrade: an exhausted key budget serves downgrade_to, says so, and still charges it', async () => {
    const { secret, keyId } = await keyWith(null, { amount_usd: 0.02, period: 'month', on_exhausted: 'downgrade', downgrade_to: 'cheap' });
    const first = await send(gw, secret);
    assert.equal(first.headers.get('x-switchyard-model'), 'premium');
    const second = await send(gw, secret);
    assert.equal(second.status, 200);
    assert.equal(second.headers.get('x-switchyard-model'), 'cheap');
    assert.equal(second.headers.get('x-switchyard-budget-downgraded-from'), 'premium');
    assert.equal(second.headers.get('x-switchyard-cost-usd'), (18 / 1e6).toFixed(8));
    const [standing] = await gw.gateway.budgets.standings([{ scope: 'key', id: keyId, budget: { amount_usd: 0.02, period: 'month' } }]);
    assert.ok(Math.abs(standing!.spentUsd - (COST + 18 / 1e6)) < 1e-9, `both requests are charged: ${standing!.spentUsd}`);
    assert.equal(standing!.reservedUsd, 0, 'nothing stays reserved');
  });

  test('alerts: 80% and 100% once each per period, signed, a 503 retried, JSON and Slack formats', async () => {
    const { secret, tenantId } = await keyWith({ amount_usd: 0.066, period: 'day' });
    // Spent after each: 0.018, 0.036, 0.054 (81.8%: alert 80), 0.072 (109%: alert 100); the fifth is refused.
    for (let index = 0; index < 4; index++) assert.equal((await send(gw, secret)).status, 200, `request ${index + 1}`);
    assert.equal((await send(gw, secret)).status, 429);
    await gw.gateway.budgets.webhooks.drain(5000);
    const json = receiver.deliveries.filter((d) => (JSON.parse(d.body) as { type?: string }).type === 'budget.threshold');
    const mine = json.filter((d) => (JSON.parse(d.body) as { tenant_id: string }).tenant_id === tenantId);
    assert.deepEqual(mine.map((d) => (JSON.parse(d.body) as { threshold_percent: number }).threshold_percent), [80, 100], 'one alert per threshold, in order');
    // The block test's tenant crossed 80% and 100% in one request: its first delivery got the 503 and was retried.
    assert.equal(receiver.refused, 1, 'one delivery was refused');
    // Block tenant: 80 + 100; downgrade key (0.018 of 0.02): 80; this tenant: 80 + 100.
    assert.equal(json.length, 5, `every JSON alert arrived, the refused one on retry: ${json.length}`);
    for (const delivery of mine) {
      const header = String(delivery.headers['x-switchyard-signature']);
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header) ?? [];
      assert.ok(t !== undefined && v1 !== undefined, `signature header shape: ${header}`);
      const expected = createHmac('sha256', WEBHOOK_SECRET).update(`${t}.${delivery.body}`).digest('hex');
      assert.equal(v1, expected, 'the HMAC verifies');
      const body = JSON.parse(delivery.body);
      assert.equal(body.budget.scope, 'tenant');
      assert.equal(body.budget.amount_usd, 0.066);
    }
    const slack = receiver.deliveries.filter((d) => (JSON.parse(d.body) as { text?: string }).text?.includes(tenantId));
    assert.equal(slack.length, 2, 'the Slack webhook got both alerts');
    const message = JSON.parse(slack[1]!.body) as { text: string; blocks: unknown[] };
    assert.match(message.text, /daily budget of tenant `budget-\d+` is used up/);
    assert.ok(Array.isArray(message.blocks) && message.blocks.length > 0, 'Slack blocks present');
    assert.equal(slack[0]!.headers['x-switchyard-signature'], undefined, 'a webhook without secret is not signed');
  });
});

describe('budget burst and restart', () => {
  let stores: Stores;
  let cache: KeyCache;
  let gated: GatedOpenAI;

  before(async () => {
    stores = openMemoryStores(TEST_PEPPER);
    cache = await KeyCache.start(stores, { log: recordingLog() });
    gated = await startGatedOpenAI();
  });
  after(async () => {
    await cache.close();
    await gated.close();
  });

  test('a concurrent burst overshoots by exactly what the in-flight requests cost beyond their reservations', async () => {
    const gw = await startTestGateway(config(gated.url), { keys: cache, stores });
    try {
      const limit = 0.05;
      await stores.tenants.create({ id: 'burst', name: 'burst', budget: { amount_usd: limit, period: 'day' } });
      const { secret } = await stores.keys.create('burst', { name: 'k' });
      const burst = Array.from({ length: 20 }, () => send(gw, secret));
      // floor(0.05 / 0.011) = 4 reservations fit; the other 16 are refused while those 4 are held upstream.
      const admitted = Math.floor(limit / RESERVED);
      await gated.waitForHeld(admitted);
      gated.open();
      const statuses = (await Promise.all(burst)).map((response) => response.status);
      assert.equal(statuses.filter((status) => status === 200).length, admitted, `exactly ${admitted} admitted: ${statuses.join(',')}`);
      assert.equal(statuses.filter((status) => status === 429).length, 20 - admitted);
      assert.equal(gated.received, admitted, 'refused requests never reached the upstream');
      const [standing] = await gw.gateway.budgets.standings([{ scope: 'tenant', id: 'burst', budget: { amount_usd: limit, period: 'day' } }]);
      assert.ok(Math.abs(standing!.spentUsd - admitted * COST) < 1e-9, `every admitted request is charged: ${standing!.spentUsd}`);
      // The bound: reservations never exceed the limit, so the overshoot is at most Σ(cost − reservation) over the
      // requests in flight together: here 4 × (0.018 − 0.011) = 0.028, and the real one is 0.072 − 0.05 = 0.022.
      const overshoot = standing!.spentUsd - limit;
      assert.ok(admitted * RESERVED <= limit, 'the reservations fit the limit');
      assert.ok(overshoot <= admitted * (COST - RESERVED) + 1e-9, `overshoot ${overshoot} within the in-flight bound`);
      assert.equal(standing!.reservedUsd, 0, 'nothing stays reserved');
    } finally {
      await gw.close();
    }
  });

  test('after a restart the counters start from the rollups, so the period is not reset', async () => {
    await stores.tenants.create({ id: 'restart', name: 'restart', budget: { amount_usd: 0.05, period: 'month' } });
    const { secret } = await stores.keys.create('restart', { name: 'k' });
    const first = await startTestGateway(config(gated.url), { keys: cache, stores });
    assert.equal((await send(first, secret)).status, 200);
    assert.equal((await send(first, secret)).status, 200);
    await first.close(); // flushes the rollups: 0.036 spent
    const second = await startTestGateway(config(gated.url), { keys: cache, stores });
    try {
      await second.gateway.budgets.ready;
      assert.equal((await send(second, secret)).status, 200, '0.036 + 0.011 fits');
      assert.equal((await send(second, secret)).status, 429, '0.054 spent: the seeded counter refuses');
    } finally {
      await second.close();
    }
  });
});
