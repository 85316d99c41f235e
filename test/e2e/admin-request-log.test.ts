/**
 * The request log over the admin API, on memory and PGlite stores: a tenant admin reads only its own tenant's
 * requests (another tenant's answers 404 as if absent; the all-tenants route is 403), the master key reads all of
 * them or one tenant's; filters, newest-first pages, bad queries as 400 with `param`, and the routes in OpenAPI.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Stores } from '../../src/stores/types.js';
import { startAdminGateway, type AdminGateway } from '../helpers/admin.js';
import { postJson } from '../helpers/server.js';
import { openMemory, openPGliteInMemory } from '../helpers/stores.js';

interface LogList {
  data: { id: string; tenant_id: string | null; key_id: string | null; status: number; requested_model: string | null; error_code: string | null }[];
  has_more: boolean;
  last_id: string | null;
}
interface ErrorBody {
  error: { code: string; param: string | null; message: string };
}

function requestLogAdminSuite(openStores: () => Promise<Stores>): void {
  let admin: AdminGateway;
  let adminA: string;
  const workers: Record<string, { id: string; secret: string }> = {};

  const chat = async (secret: string, model = 'fast') => {
    const response = await postJson(`${admin.url}/v1/chat/completions`, { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }, { authorization: `Bearer ${secret}` });
    await response.arrayBuffer();
    return response.status;
  };

  before(async () => {
    admin = await startAdminGateway(openStores);
    for (const id of ['log-a', 'log-b']) assert.equal((await admin.call('POST', '/admin/tenants', { body: { id, name: id } })).status, 201);
    const made = async (tenant: string, body: object) => (await admin.call<{ id: string; secret: string }>('POST', `/admin/tenants/${tenant}/keys`, { body })).body;
    adminA = (await made('log-a', { name: 'a admin', scopes: { admin: true } })).secret;
    workers.a = await made('log-a', { name: 'a worker' });
    workers.b = await made('log-b', { name: 'b worker' });
    assert.equal(await chat(workers.a.secret), 200);
    assert.equal(await chat(workers.a.secret, 'sim-small'), 200);
    assert.equal(await chat(workers.a.secret, 'no-such-model'), 404);
    assert.equal(await chat(workers.b.secret), 200);
    await admin.gw.gateway.requestLog.flush();
  });
  after(() => admin.close());

  test("a tenant admin reads its own tenant's requests, newest first", async () => {
    const reply = await admin.call<LogList>('GET', '/admin/tenants/log-a/requests', { key: adminA });
    assert.equal(reply.status, 200);
    // An unknown model name is not recorded (only configured names are): the 404 has none.
    assert.deepEqual(reply.body.data.map((item) => item.requested_model), [null, 'sim-small', 'fast']);
    assert.ok(reply.body.data.every((item) => item.tenant_id === 'log-a' && item.key_id === workers.a!.id), 'only tenant A, only its worker key');
  });

  test("another tenant's log is 404 as if absent, and the all-tenants log is 403, for a tenant admin", async () => {
    const other = await admin.call<ErrorBody>('GET', '/admin/tenants/log-b/requests', { key: adminA });
    const absent = await admin.call<ErrorBody>('GET', '/admin/tenants/no-such-tenant/requests');
    assert.equal(other.status, 404);
    assert.equal(absent.status, 404);
    assert.equal(other.body.error.message, 'No tenant with id "log-b".');
    const all = await admin.call<ErrorBody>('GET', '/admin/requests', { key: adminA });
    assert.equal(all.status, 403);
    const leak = await admin.call<ErrorBody>('GET', '/admin/tenants/log-a/requests?tenant_id=log-b', { key: adminA });
    assert.equal(leak.status, 400, 'a tenant_id query cannot widen the tenant route');
  });

  test('the master key reads every tenant, or one with tenant_id', async () => {
    const all = await admin.call<LogList>('GET', '/admin/requests?limit=100');
    assert.equal(all.status, 200);
    const tenants = new Set(all.body.data.map((item) => item.tenant_id));
    assert.ok(tenants.has('log-a') && tenants.has('log-b'), 'both tenants appear');
    const onlyB = await admin.call<LogList>('GET', '/admin/requests?tenant_id=log-b');
    assert.deepEqual(onlyB.body.data.map((item) => item.tenant_id), ['log-b']);
    const viaPath = await admin.call<LogList>('GET', '/admin/tenants/log-b/requests');
    assert.deepEqual(viaPath.body.data.map((item) => item.id), onlyB.body.data.map((item) => item.id));
  });

  test('filters by status class, exact status, model and time; pages with limit and after', async () => {
    const path = '/admin/tenants/log-a/requests';
    const failed = await admin.call<LogList>('GET', `${path}?status=4xx`);
    assert.deepEqual(failed.body.data.map((item) => [item.status, item.error_code]), [[404, 'model_not_found']]);
    assert.equal((await admin.call<LogList>('GET', `${path}?status=200`)).body.data.length, 2);
    assert.equal((await admin.call<LogList>('GET', `${path}?model=sim-small`)).body.data.length, 2, 'served by sim-small, asked for directly or via fast');
    assert.equal((await admin.call<LogList>('GET', `${path}?from=2999-01-01T00:00:00Z`)).body.data.length, 0);
    assert.equal((await admin.call<LogList>('GET', `${path}?to=2999-01-01T00:00:00Z`)).body.data.length, 3);
    const first = await admin.call<LogList>('GET', `${path}?limit=2`);
    assert.equal(first.body.has_more, true);
    const second = await admin.call<LogList>('GET', `${path}?limit=2&after=${first.body.last_id}`);
    assert.equal(second.body.has_more, false);
    assert.deepEqual(second.body.data.map((item) => item.requested_model), ['fast']);
  });

  test('bad queries are 400 with the parameter named', async () => {
    for (const [query, param] of [
      ['status=abc', 'status'],
      ['from=yesterday', 'from'],
      ['limit=0', 'limit'],
      ['from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z', 'from'],
    ]) {
      const reply = await admin.call<ErrorBody>('GET', `/admin/requests?${query}`);
      assert.equal(reply.status, 400, query);
      assert.equal(reply.body.error.param, param, query);
    }
  });

  test('the routes are in the OpenAPI document', async () => {
    const doc = await admin.call<{ paths: Record<string, unknown> }>('GET', '/admin/openapi.json');
    assert.ok('/admin/requests' in doc.body.paths && '/admin/tenants/{tenant_id}/requests' in doc.body.paths, 'both paths documented');
  });
}

describe('request log admin API (memory)', () => requestLogAdminSuite(openMemory));
describe('request log admin API (PGlite)', () => requestLogAdminSuite(openPGliteInMemory));
