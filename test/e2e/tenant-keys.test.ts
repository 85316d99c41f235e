/**
 * Virtual keys on a running gateway: a tenant's key authenticates as that tenant, its scopes decide which models
 * it may call (403 model_not_allowed otherwise, in the caller's dialect), expired and revoked keys are 401 (a
 * revocation at once), the master key still works, and demo mode ends once the store holds a tenant.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { KeyCache } from '../../src/stores/key-cache.js';
import { openMemoryStores } from '../../src/stores/memory/index.js';
import type { Stores } from '../../src/stores/types.js';
import { postJson, simConfig, startTestGateway, type RunningGateway } from '../helpers/server.js';
import { recordingLog, TEST_PEPPER } from '../helpers/stores.js';

const MASTER = 'master-key-for-tests';
const chat = (model: string) => ({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

interface ErrorBody {
  error: { type: string; code: string | null; param: string | null; message: string };
}

describe('virtual keys on the gateway', () => {
  let stores: Stores;
  let cache: KeyCache;
  let gw: RunningGateway;
  let tenantId: string;

  before(async () => {
    stores = openMemoryStores(TEST_PEPPER);
    cache = await KeyCache.start(stores, { log: recordingLog() });
    gw = await startTestGateway(simConfig({ auth: { master_key: MASTER } }), { keys: cache });
    tenantId = (await stores.tenants.create({ id: 'acme', name: 'Acme', tier: 'gold' })).id;
  });
  after(async () => {
    await gw.close();
    await cache.close();
  });

  test('a valid key authenticates as its tenant and may call any model when unscoped', async () => {
    const { secret } = await stores.keys.create(tenantId, { name: 'all models' });
    for (const model of ['fast', 'sim-small']) {
      const response = await postJson(`${gw.url}/v1/chat/completions`, chat(model), bearer(secret));
      assert.equal(response.status, 200, model);
      await response.arrayBuffer();
    }
    const embeddings = await postJson(`${gw.url}/v1/embeddings`, { model: 'sim-embed', input: 'x' }, { 'x-api-key': secret });
    assert.equal(embeddings.status, 200);
    await embeddings.arrayBuffer();
  });

  test('a scoped key gets 403 model_not_allowed outside its models, and sees only its models', async () => {
    const { secret } = await stores.keys.create(tenantId, { name: 'fast only', scopes: { models: ['fast'] } });
    const allowed = await postJson(`${gw.url}/v1/chat/completions`, chat('fast'), bearer(secret));
    assert.equal(allowed.status, 200);
    await allowed.arrayBuffer();

    const denied = await postJson(`${gw.url}/v1/chat/completions`, chat('sim-small'), bearer(secret));
    assert.equal(denied.status, 403);
    const body = (await denied.json()) as ErrorBody;
    assert.equal(body.error.code, 'model_not_allowed');
    assert.equal(body.error.type, 'permission_error');
    assert.equal(body.error.param, 'model');

    const models = (await (await fetch(`${gw.url}/v1/models`, { headers: bearer(secret) })).json()) as { data: { id: string }[] };
    assert.deepEqual(models.data.map((model) => model.id), ['fast']);
    const one = await fetch(`${gw.url}/v1/models/sim-small`, { headers: bearer(secret) });
    assert.equal(one.status, 403);
    await one.arrayBuffer();
  });

  test('a trailing * in scopes allows a prefix', async () => {
    const { secret } = await stores.keys.create(tenantId, { name: 'sim-*', scopes: { models: ['sim-*'] } });
    const models = (await (await fetch(`${gw.url}/v1/models`, { headers: bearer(secret) })).json()) as { data: { id: string }[] };
    assert.deepEqual(models.data.map((model) => model.id).sort(), ['sim-embed', 'sim-small']);
  });

  test('the Anthropic endpoint takes keys in x-api-key and answers 403 in its own envelope', async () => {
    const { secret } = await stores.keys.create(tenantId, { name: 'anthropic', scopes: { models: ['fast'] } });
    const headers = { 'x-api-key': secret, 'anthropic-version': '2023-06-01' };
    const ok = await postJson(`${gw.url}/v1/messages`, { model: 'fast', max_tokens: 3, messages: [{ role: 'user', content: 'hi' }] }, headers);
    assert.equal(ok.status, 200);
    await ok.arrayBuffer();
    const denied = await postJson(`${gw.url}/v1/messages`, { model: 'sim-small', max_tokens: 3, messages: [{ role: 'user', content: 'hi' }] }, headers);
    assert.equal(denied.status, 403);
    const body = (await denied.json()) as { type: string; error: { type: string } };
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'permission_error');
  });

  test('a revoked key is refused from the next request on', async () => {
    const { key, secret } = await stores.keys.create(tenantId, { name: 'to revoke' });
    const before = await postJson(`${gw.url}/v1/chat/completions`, chat('fast'), bearer(secret));
    assert.equal(before.status, 200);
    await before.arrayBuffer();
    await stores.keys.revoke(tenantId, key.id);
    const afterRevoke = await postJson(`${gw.url}/v1/chat/completions`, chat('fast'), bearer(secret));
    assert.equal(afterRevoke.status, 401);
    assert.equal(((await afterRevoke.json()) as ErrorBody).error.code, 'invalid_api_key');
  });

  test('an expired key is refused with a message saying so', async () => {
    const { secret } = await stores.keys.create(tenantId, { name: 'expired', expiresAt: new Date(Date.now() - 1000) });
    const response = await postJson(`${gw.url}/v1/chat/completions`, chat('fast'), bearer(secret));
    assert.equal(response.status, 401);
    assert.match(((await response.json()) as ErrorBody).error.message, /expired at/);
  });

  test('unknown keys, missing keys and made-up sk-sy- keys are 401; the master key still works', async () => {
    for (const headers of [{}, bearer('sk-sy-' + 'A'.repeat(43)), bearer('wrong')]) {
      const response = await postJson(`${gw.url}/v1/chat/completions`, chat('fast'), headers);
      assert.equal(response.status, 401);
      await response.arrayBuffer();
    }
    const master = await postJson(`${gw.url}/v1/chat/completions`, chat('sim-small'), bearer(MASTER));
    assert.equal(master.status, 200);
    await master.arrayBuffer();
  });

  test('a virtual key without the admin scope does not open /admin (403)', async () => {
    const { secret } = await stores.keys.create(tenantId, { name: 'not admin' });
    const response = await fetch(`${gw.url}/admin/resilience`, { headers: bearer(secret) });
    assert.equal(response.status, 403);
    assert.equal(((await response.json()) as ErrorBody).error.code, 'permission_denied');
  });

  test('uses are recorded as last_used_at on the next flush', async () => {
    const { key, secret } = await stores.keys.create(tenantId, { name: 'used' });
    const response = await postJson(`${gw.url}/v1/chat/completions`, chat('fast'), bearer(secret));
    await response.arrayBuffer();
    await cache.flush();
    assert.notEqual((await stores.keys.get(tenantId, key.id))?.lastUsedAt, null);
  });
});

describe('demo mode and tenants, with no master key', () => {
  test('open while the store has no tenant; keys required once one exists', async () => {
    const stores = openMemoryStores(TEST_PEPPER);
    const cache = await KeyCache.start(stores, { log: recordingLog() });
    const gw = await startTestGateway(simConfig(), { keys: cache });
    try {
      const open = await postJson(`${gw.url}/v1/chat/completions`, chat('fast'));
      assert.equal(open.status, 200);
      await open.arrayBuffer();

      const tenant = await stores.tenants.create({ name: 'First' });
      const { secret } = await stores.keys.create(tenant.id, { name: 'k' });
      const anonymous = await postJson(`${gw.url}/v1/chat/completions`, chat('fast'));
      assert.equal(anonymous.status, 401);
      await anonymous.arrayBuffer();
      const withKey = await postJson(`${gw.url}/v1/chat/completions`, chat('fast'), bearer(secret));
      assert.equal(withKey.status, 200);
      await withKey.arrayBuffer();
    } finally {
      await gw.close();
      await cache.close();
    }
  });
});
