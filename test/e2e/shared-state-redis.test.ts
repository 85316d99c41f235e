/**
 * Breakers and kill switches shared across replicas through Redis (`shared_state.store: redis`, DESIGN.md §4,
 * §12): gateways A and B share one Redis, A through a TCP proxy the test can cut. A breaker opened by A's
 * traffic is open on B, and on a gateway C started afterwards; a kill switch set on one applies on the other
 * within a bounded time; with A's Redis cut, A's switch applies on A alone and reaches B once Redis is back.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { SwitchyardConfigInput } from '../../src/config/schema.js';
import { describeRedis, REDIS_URL, testPrefix } from '../helpers/redis.js';
import { postJson, simConfig, startTestGateway, type RunningGateway } from '../helpers/server.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const MASTER = 'master-key-for-tests';
const admin = { authorization: `Bearer ${MASTER}` };
/** Pub/sub takes milliseconds; this is the bound that says "shared", far below the 5 s sync. */
const SHARED_WITHIN_MS = 2000;

async function eventually<T>(limitMs: number, what: string, read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  const started = performance.now();
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (performance.now() - started > limitMs) assert.fail(`${what}: not within ${limitMs} ms (last: ${JSON.stringify(value)})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface DeploymentView {
  provider: string;
  disabled: boolean;
  circuit: { state: string };
}

async function deployments(gateway: RunningGateway, model: string): Promise<DeploymentView[]> {
  const response = await fetch(`${gateway.url}/admin/deployments`, { headers: admin });
  assert.equal(response.status, 200, 'GET /admin/deployments');
  const body = (await response.json()) as { data: { model: string; deployments: DeploymentView[] }[] };
  return body.data.find((entry) => entry.model === model)?.deployments ?? [];
}

async function killSwitches(gateway: RunningGateway): Promise<unknown[]> {
  const response = await fetch(`${gateway.url}/admin/kill-switches`, { headers: admin });
  return ((await response.json()) as { kill_switches: unknown[] }).kill_switches;
}

async function setKillSwitch(gateway: RunningGateway, action: 'disable' | 'enable', target: Record<string, string>): Promise<void> {
  const response = await postJson(`${gateway.url}/admin/kill-switches`, { action, target }, admin);
  assert.equal(response.status, 200, `POST /admin/kill-switches ${action}`);
  await response.arrayBuffer();
}

describeRedis('breakers and kill switches shared through Redis', () => {
  const { prefix, cleanup } = testPrefix();
  let proxy: TcpProxy;
  const gateways: RunningGateway[] = [];
  const config = (redisUrl: string): SwitchyardConfigInput =>
    simConfig({
      auth: { master_key: MASTER },
      providers: {
        sim: { type: 'sim', ttft_ms: 0, itl_ms: 0 },
        // Nothing listens on port 1: every attempt is a connection failure, which counts against the breaker.
        broken: { type: 'openai-compatible', base_url: 'http://127.0.0.1:1/v1' },
      },
      models: {
        'sim-small': { deployments: [{ provider: 'sim', model: 'sim-small' }] },
        flaky: { deployments: [{ provider: 'broken', model: 'flaky' }] },
      },
      resilience: {
        retries: { max_attempts: 1 },
        circuit_breaker: { consecutive_failures: 2, open_ms: 60_000 },
        health_checks: { enabled: false },
      },
      shared_state: { store: 'redis', redis_url: redisUrl, redis_prefix: prefix, timeout_ms: 300, sync_interval_ms: 5000 },
    });

  before(async () => {
    proxy = await TcpProxy.start(REDIS_URL);
    gateways.push(await startTestGateway(config(proxy.urlFor(REDIS_URL))));
    gateways.push(await startTestGateway(config(REDIS_URL)));
  });
  after(async () => {
    for (const gateway of gateways) await gateway.close();
    await proxy.close();
    await cleanup();
  });

  test('a breaker opened by traffic on A is open on B, and on a gateway started later', async () => {
    const [a, b] = gateways as [RunningGateway, RunningGateway];
    assert.equal((await deployments(b, 'flaky'))[0]?.circuit.state, 'closed', 'B starts closed');
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const response = await postJson(`${a.url}/v1/chat/completions`, { model: 'flaky', messages: [{ role: 'user', content: 'hi' }] }, admin);
      assert.ok(response.status >= 500, `attempt ${attempt} fails upstream (got ${response.status})`);
      await response.arrayBuffer();
    }
    assert.equal((await deployments(a, 'flaky'))[0]?.circuit.state, 'open', 'A opened its breaker');
    await eventually(SHARED_WITHIN_MS, 'B hears of it', () => deployments(b, 'flaky'), (list) => list[0]?.circuit.state === 'open');

    const late = await startTestGateway(config(REDIS_URL));
    gateways.push(late);
    await eventually(SHARED_WITHIN_MS, 'a gateway started afterwards catches up', () => deployments(late, 'flaky'), (list) => list[0]?.circuit.state === 'open');
    assert.equal((await deployments(b, 'sim-small'))[0]?.circuit.state, 'closed', 'other deployments are untouched');
  });

  test('a kill switch set on one replica applies on the other; lifting it too', async () => {
    const [a, b] = gateways as [RunningGateway, RunningGateway];
    await setKillSwitch(a, 'disable', { provider: 'sim' });
    await eventually(SHARED_WITHIN_MS, 'B takes sim out of rotation', () => deployments(b, 'sim-small'), (list) => list[0]?.disabled === true);
    assert.deepEqual(await killSwitches(b), [{ provider: 'sim' }]);
    const refused = await postJson(`${b.url}/v1/chat/completions`, { model: 'sim-small', messages: [{ role: 'user', content: 'hi' }] }, admin);
    assert.equal(refused.status, 503, 'B no longer routes to the disabled provider');
    await refused.arrayBuffer();

    await setKillSwitch(b, 'enable', { provider: 'sim' });
    await eventually(SHARED_WITHIN_MS, 'A puts sim back', () => killSwitches(a), (list) => list.length === 0);
    const served = await postJson(`${a.url}/v1/chat/completions`, { model: 'sim-small', messages: [{ role: 'user', content: 'hi' }] }, admin);
    assert.equal(served.status, 200, 'A routes to sim again');
    await served.arrayBuffer();
  });

  test("with A's Redis cut, A's switch applies on A at once and reaches B after recovery", async () => {
    const [a, b] = gateways as [RunningGateway, RunningGateway];
    proxy.refuse();
    try {
      await setKillSwitch(a, 'disable', { model: 'sim-small' });
      assert.deepEqual(await killSwitches(a), [{ model: 'sim-small' }], 'local state applies while Redis is down');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(await killSwitches(b), [], 'B cannot have heard of it');
    } finally {
      proxy.resume();
    }
    // A reconnects (backoff ≤ 2 s), writes what it kept, and B hears it at once.
    await eventually(SHARED_WITHIN_MS + 5000, 'B applies the switch after recovery', () => killSwitches(b), (list) => list.length === 1);
    assert.deepEqual(await killSwitches(a), [{ model: 'sim-small' }], 'A still has it after syncing');
    await setKillSwitch(b, 'enable', { model: 'sim-small' });
    await eventually(SHARED_WITHIN_MS, 'A lifts it', () => killSwitches(a), (list) => list.length === 0);
  });
});
