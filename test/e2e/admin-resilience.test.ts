/** The operator view of the resilience layer and the kill switch, through the real HTTP edge. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { postJson, startTestGateway, type RunningGateway } from '../helpers/server.js';

const masterKey = 'sk-master-admin-test';
const auth = { authorization: `Bearer ${masterKey}` };
const chat = (model: string) => ({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });

describe('admin: deployments and kill switch', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startTestGateway({
      auth: { master_key: masterKey },
      providers: { 'sim-a': { type: 'sim', ttft_ms: 0, itl_ms: 0 }, 'sim-b': { type: 'sim', ttft_ms: 0, itl_ms: 0 } },
      models: {
        pair: { deployments: [{ provider: 'sim-a', model: 'm' }, { provider: 'sim-b', model: 'm' }] },
        solo: { deployments: [{ provider: 'sim-a', model: 'solo' }] },
      },
    });
  });
  after(() => gw.close());

  const get = (path: string, headers: Record<string, string> = auth) => fetch(`${gw.url}${path}`, { headers });
  const providersServing = async (model: string, count: number) => {
    const seen = new Set<string>();
    for (let i = 0; i < count; i++) {
      const response = await postJson(`${gw.url}/v1/chat/completions`, chat(model), auth);
      assert.equal(response.status, 200);
      seen.add(response.headers.get('x-switchyard-provider') ?? '');
      await response.arrayBuffer();
    }
    return seen;
  };

  test('needs the master key', async () => {
    assert.equal((await get('/admin/deployments', {})).status, 401);
    assert.equal((await get('/admin/deployments', { authorization: 'Bearer wrong-key-123' })).status, 401);
    assert.equal((await get('/admin/deployments')).status, 200);
  });

  test('lists every deployment with its circuit, load and rotation state', async () => {
    await providersServing('pair', 4);
    const body = (await (await get('/admin/deployments')).json()) as {
      data: { model: string; deployments: { id: string; provider: string; in_rotation: boolean; circuit: { state: string } }[] }[];
    };
    const pair = body.data.find((model) => model.model === 'pair')!;
    assert.deepEqual(pair.deployments.map((d) => d.id), ['sim-a/m', 'sim-b/m']);
    for (const deployment of pair.deployments) {
      assert.equal(deployment.in_rotation, true);
      assert.equal(deployment.circuit.state, 'closed');
    }
  });

  test('disabling a provider takes its deployments out of rotation at once, enabling brings them back', async () => {
    const disable = await postJson(`${gw.url}/admin/kill-switches`, { action: 'disable', target: { provider: 'sim-a' } }, auth);
    assert.equal(disable.status, 200);
    assert.deepEqual(((await disable.json()) as { kill_switches: unknown[] }).kill_switches, [{ provider: 'sim-a' }]);
    assert.deepEqual([...(await providersServing('pair', 12))], ['sim-b']);

    const alone = await postJson(`${gw.url}/v1/chat/completions`, chat('solo'), auth);
    assert.equal(alone.status, 503);
    assert.equal(((await alone.json()) as { error: { code: string } }).error.code, 'upstream_unavailable');

    await postJson(`${gw.url}/admin/kill-switches`, { action: 'enable', target: { provider: 'sim-a' } }, auth);
    assert.equal((await providersServing('solo', 1)).has('sim-a'), true);
    assert.equal((await providersServing('pair', 30)).size, 2);
  });

  test('a single deployment or a whole model can be switched off', async () => {
    await postJson(`${gw.url}/admin/kill-switches`, { action: 'disable', target: { deployment: 'sim-b/m' } }, auth);
    assert.deepEqual([...(await providersServing('pair', 10))], ['sim-a']);
    await postJson(`${gw.url}/admin/kill-switches`, { action: 'enable', target: { deployment: 'sim-b/m' } }, auth);

    await postJson(`${gw.url}/admin/kill-switches`, { action: 'disable', target: { model: 'pair' } }, auth);
    assert.equal((await postJson(`${gw.url}/v1/chat/completions`, chat('pair'), auth)).status, 503);
    await postJson(`${gw.url}/admin/kill-switches`, { action: 'enable', target: { model: 'pair' } }, auth);
    assert.equal((await postJson(`${gw.url}/v1/chat/completions`, chat('pair'), auth)).status, 200);
  });

  test('a malformed kill-switch request is a 400 naming the field', async () => {
    const response = await postJson(`${gw.url}/admin/kill-switches`, { action: 'pause', target: { provider: 'sim-a' } }, auth);
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { error: { param: string } }).error.param, 'action');
  });
});

describe('admin without a master key', () => {
  test('is switched off (403), so an open demo gateway exposes no controls', async () => {
    const gw = await startTestGateway({
      providers: { sim: { type: 'sim' } },
      models: { m: { deployments: [{ provider: 'sim', model: 'm' }] } },
    });
    try {
      const response = await fetch(`${gw.url}/admin/deployments`);
      assert.equal(response.status, 403);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'admin_disabled');
    } finally {
      await gw.close();
    }
  });
});
