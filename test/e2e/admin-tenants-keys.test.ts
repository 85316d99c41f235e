/**
 * The admin REST API for tenants, keys and budgets on a real gateway, with each store: memory, PGlite (in its
 * worker) and PostgreSQL. A key made over HTTP works on /v1 at once, its limits apply, revoking it is a 401 on
 * the next request; hashes never leave the gateway; lists paginate; bad input is 400 with `param`; an
 * unreachable store is 503.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Stores } from '../../src/stores/types.js';
import { startAdminGateway, type AdminGateway } from '../helpers/admin.js';
import { describePostgres, testSchema } from '../helpers/postgres.js';
import { openMemory, openPGliteInMemory, openPostgres } from '../helpers/stores.js';

interface ErrorBody {
  error: { code: string; type: string; param: string | null; message: string };
}
interface TenantBody {
  id: string;
  name: string;
  tier: string | null;
  limits: Record<string, number>;
  budget: Record<string, unknown> | null;
}
interface KeyBody {
  id: string;
  tenant_id: string;
  name: string;
  status: string;
  secret?: string;
  key_prefix: string;
  revoked_at: string | null;
  limits: Record<string, number>;
  budget: Record<string, unknown> | null;
  tier: string | null;
}
interface ListBody<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  last_id: string | null;
}

const chat = { model: 'sim-small', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 };

function adminSuite(openStores: () => Promise<Stores>, options: { storeCanFail: boolean; cleanup?: () => Promise<void> }): void {
  let admin: AdminGateway;
  before(async () => {
    admin = await startAdminGateway(openStores);
  });
  after(async () => {
    await admin.close();
    await options.cleanup?.();
  });

  const v1 = (secret: string) =>
    fetch(`${admin.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify(chat),
    });

  test('creates, reads and changes a tenant; a taken id is 409, an unknown one 404', async () => {
    const created = await admin.call<TenantBody>('POST', '/admin/tenants', { body: { id: 'acme', name: 'Acme', tier: 'gold', limits: { requests_per_minute: 100 } } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual({ ...created.body, created_at: undefined }, {
      object: 'tenant', id: 'acme', name: 'Acme', tier: 'gold', limits: { requests_per_minute: 100 }, budget: null, metadata: {}, created_at: undefined,
    });
    const taken = await admin.call<ErrorBody>('POST', '/admin/tenants', { body: { id: 'acme', name: 'Again' } });
    assert.equal(taken.status, 409);
    assert.equal(taken.body.error.code, 'conflict');

    const generated = await admin.call<TenantBody>('POST', '/admin/tenants', { body: { name: 'No id given' } });
    assert.equal(generated.status, 201);
    assert.match(generated.body.id, /^ten_/, 'a tenant without an id gets a generated one');

    const patched = await admin.call<TenantBody>('PATCH', '/admin/tenants/acme', { body: { name: 'Acme Corp', tier: null, limits: { tokens_per_minute: 5000 } } });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.name, 'Acme Corp');
    assert.equal(patched.body.tier, null);
    assert.deepEqual(patched.body.limits, { tokens_per_minute: 5000 });
    assert.equal((await admin.call<TenantBody>('GET', '/admin/tenants/acme')).body.name, 'Acme Corp');

    for (const [method, path] of [['GET', '/admin/tenants/nobody'], ['PATCH', '/admin/tenants/nobody']] as const) {
      const missing = await admin.call<ErrorBody>(method, path, method === 'PATCH' ? { body: { name: 'x' } } : {});
      assert.equal(missing.status, 404, `${method} ${path}`);
      assert.equal(missing.body.error.code, 'not_found');
    }
  });

  test('bad input is a 400 naming the parameter', async () => {
    const cases: [method: string, path: string, body: unknown, param: string | null][] = [
      ['POST', '/admin/tenants', { tier: 'x' }, 'name'],
      ['POST', '/admin/tenants', { name: 'x', id: 'bad id!' }, 'id'],
      ['POST', '/admin/tenants', { name: 'x', colour: 'red' }, null],
      ['POST', '/admin/tenants', { name: 'x', limits: { requests_per_minute: -1 } }, 'limits.requests_per_minute'],
      ['PATCH', '/admin/tenants/acme', {}, null],
      ['POST', '/admin/tenants/acme/keys', { name: 'k', expires_at: '2001-01-01T00:00:00Z' }, 'expires_at'],
      ['POST', '/admin/tenants/acme/keys', { name: 'k', scopes: { models: 'all' } }, 'scopes.models'],
      ['PUT', '/admin/tenants/acme/budget', { amount_usd: 5, period: 'day', on_exhausted: 'downgrade' }, 'downgrade_to'],
      ['PUT', '/admin/tenants/acme/budget', { amount_usd: 5, period: 'week' }, 'period'],
    ];
    for (const [method, path, body, param] of cases) {
      const reply = await admin.call<ErrorBody>(method, path, { body });
      assert.equal(reply.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(reply.body)}`);
      assert.equal(reply.body.error.type, 'invalid_request_error');
      assert.equal(reply.body.error.param, param, `${method} ${path} ${JSON.stringify(body)}`);
    }
    const notJson = await admin.call<ErrorBody>('POST', '/admin/tenants', { raw: '{name:' });
    assert.equal(notJson.status, 400);
    assert.equal(notJson.body.error.code, 'invalid_json');
    for (const query of ['limit=0', 'limit=101', 'limit=ten', 'colour=red']) {
      const reply = await admin.call<ErrorBody>('GET', `/admin/tenants?${query}`);
      assert.equal(reply.status, 400, query);
      assert.equal(reply.body.error.param, query.split('=')[0], query);
    }
  });

  test('lists paginate with limit and after, in id order, without gaps or repeats', async () => {
    for (const n of [1, 2, 3, 4, 5]) assert.equal((await admin.call('POST', '/admin/tenants', { body: { id: `page-${n}`, name: `Page ${n}` } })).status, 201);
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const reply: { status: number; body: ListBody<TenantBody> } = await admin.call<ListBody<TenantBody>>('GET', `/admin/tenants?limit=2${after ? `&after=${after}` : ''}`);
      assert.equal(reply.status, 200);
      assert.equal(reply.body.object, 'list');
      assert.ok(reply.body.data.length <= 2, 'a page holds at most limit items');
      seen.push(...reply.body.data.map((tenant) => tenant.id));
      after = reply.body.has_more ? reply.body.last_id : null;
      pages += 1;
    } while (after !== null && pages < 20);
    const all = (await admin.call<ListBody<TenantBody>>('GET', '/admin/tenants?limit=100')).body;
    assert.equal(all.has_more, false);
    assert.deepEqual(seen, all.data.map((tenant) => tenant.id));
    assert.equal(new Set(seen).size, seen.length, 'no tenant twice');
    assert.ok(['page-1', 'page-2', 'page-3', 'page-4', 'page-5'].every((id) => seen.includes(id)), `every tenant listed: ${seen.join(',')}`);
    assert.ok(pages >= 3, `walked ${pages} pages`);
  });

  test('a key created over HTTP works on /v1 at once; its secret is shown once and no hash is ever returned', async () => {
    const created = await admin.call<KeyBody>('POST', '/admin/tenants/acme/keys', { body: { name: 'ci', scopes: { models: ['sim-*'] }, metadata: { team: 'ci' } } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const secret = created.body.secret!;
    assert.match(secret, /^sk-sy-/);
    assert.ok(secret.startsWith(created.body.key_prefix), 'the prefix is the start of the secret');
    assert.equal(created.body.status, 'active');
    const response = await v1(secret);
    assert.equal(response.status, 200);
    await response.arrayBuffer();

    const hash = admin.stores.hashKey(secret);
    const replies = [
      await admin.call('GET', `/admin/tenants/acme/keys/${created.body.id}`),
      await admin.call('GET', '/admin/tenants/acme/keys'),
      await admin.call('PATCH', `/admin/tenants/acme/keys/${created.body.id}`, { body: { name: 'ci-renamed' } }),
    ];
    for (const reply of replies) {
      const text = JSON.stringify(reply.body);
      assert.equal(reply.status, 200, text);
      assert.ok(!text.includes(hash) && !/hash/i.test(text), `no key hash in ${text.slice(0, 200)}`);
      assert.ok(!text.includes(secret), 'the secret is never shown again');
    }
    assert.equal((await admin.call('POST', '/admin/tenants/nobody/keys', { body: { name: 'x' } })).status, 404);
    assert.equal((await admin.call('GET', '/admin/tenants/nobody/keys')).status, 404);
    assert.equal((await admin.call('GET', '/admin/tenants/acme/keys/key_doesnotexist')).status, 404);
    assert.equal((await admin.call('GET', '/admin/tenants/acme/keys/not-a-key-id')).status, 404);
  });

  test("a key's limits set over HTTP apply on /v1 (429 past requests_per_minute)", async () => {
    const created = await admin.call<KeyBody>('POST', '/admin/tenants/acme/keys', { body: { name: 'limited', limits: { requests_per_minute: 2 } } });
    assert.equal(created.status, 201);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await v1(created.body.secret!);
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    assert.deepEqual(statuses, [200, 200, 429]);
  });

  test('revoking is immediate, idempotent and final: 401 on /v1, 409 on change, listed only when asked', async () => {
    const created = await admin.call<KeyBody>('POST', '/admin/tenants/acme/keys', { body: { name: 'to revoke' } });
    const path = `/admin/tenants/acme/keys/${created.body.id}`;
    const revoked = await admin.call<KeyBody>('DELETE', path);
    assert.equal(revoked.status, 200);
    assert.equal(revoked.body.status, 'revoked');
    const denied = await v1(created.body.secret!);
    assert.equal(denied.status, 401);
    await denied.arrayBuffer();
    const again = await admin.call<KeyBody>('DELETE', path);
    assert.equal(again.status, 200);
    assert.equal(again.body.revoked_at, revoked.body.revoked_at, 'a second revoke keeps the first time');
    const change = await admin.call<ErrorBody>('PATCH', path, { body: { name: 'back?' } });
    assert.equal(change.status, 409);
    assert.equal(change.body.error.code, 'conflict');
    assert.equal((await admin.call<ErrorBody>('PUT', `${path}/budget`, { body: { amount_usd: 1, period: 'day' } })).status, 409);
    const live = (await admin.call<ListBody<KeyBody>>('GET', '/admin/tenants/acme/keys?limit=100')).body.data.map((key) => key.id);
    const everything = (await admin.call<ListBody<KeyBody>>('GET', '/admin/tenants/acme/keys?limit=100&include_revoked=true')).body.data.map((key) => key.id);
    assert.ok(!live.includes(created.body.id), 'revoked keys are not listed by default');
    assert.ok(everything.includes(created.body.id), 'include_revoked=true lists them');
  });

  test('budgets: PUT sets and DELETE clears a tenant budget and a key budget', async () => {
    const budget = { amount_usd: 25, period: 'month', on_exhausted: 'downgrade', downgrade_to: 'fast' };
    const tenant = await admin.call<TenantBody>('PUT', '/admin/tenants/acme/budget', { body: budget });
    assert.equal(tenant.status, 200);
    assert.deepEqual(tenant.body.budget, budget);
    assert.deepEqual((await admin.call<TenantBody>('GET', '/admin/tenants/acme')).body.budget, budget);
    assert.equal((await admin.call<TenantBody>('DELETE', '/admin/tenants/acme/budget')).body.budget, null);

    const key = await admin.call<KeyBody>('POST', '/admin/tenants/acme/keys', { body: { name: 'budgeted' } });
    const path = `/admin/tenants/acme/keys/${key.body.id}/budget`;
    assert.deepEqual((await admin.call<KeyBody>('PUT', path, { body: { amount_usd: 3, period: 'day' } })).body.budget, { amount_usd: 3, period: 'day' });
    assert.equal((await admin.call<KeyBody>('DELETE', path)).body.budget, null);
    assert.equal((await admin.call('PUT', '/admin/tenants/nobody/budget', { body: { amount_usd: 1, period: 'day' } })).status, 404);
    assert.equal((await admin.call('PUT', '/admin/tenants/acme/keys/key_nothere/budget', { body: { amount_usd: 1, period: 'day' } })).status, 404);
  });

  if (options.storeCanFail) {
    test('an unreachable store is a 503 store_unavailable, and /v1 keeps serving from the key cache', async () => {
      const key = await admin.call<KeyBody>('POST', '/admin/tenants/acme/keys', { body: { name: 'survives' } });
      await admin.stores.close();
      for (const [method, path] of [['GET', '/admin/tenants'], ['GET', '/admin/tenants/acme'], ['GET', '/admin/tenants/acme/keys']] as const) {
        const reply = await admin.call<ErrorBody>(method, path);
        assert.equal(reply.status, 503, `${method} ${path}: ${JSON.stringify(reply.body)}`);
        assert.equal(reply.body.error.code, 'store_unavailable');
      }
      const response = await v1(key.body.secret!);
      assert.equal(response.status, 200);
      await response.arrayBuffer();
    });
  }
}

describe('admin API on the memory store', () => adminSuite(openMemory, { storeCanFail: false }));
describe('admin API on PGlite', () => adminSuite(openPGliteInMemory, { storeCanFail: true }));
const schema = testSchema();
describePostgres('admin API on PostgreSQL', () => adminSuite(() => openPostgres(schema.name), { storeCanFail: true, cleanup: () => schema.drop() }));
