/**
 * Tenant-scoped admin: a key with `scopes.admin` manages its own tenant's keys and key budgets, and nothing
 * else. Every registered admin route with a `{tenant_id}` (ours and those other modules register) is called
 * with tenant A's admin key and tenant B's ids: routes open to tenant admins answer 404 exactly as for an absent
 * tenant, master-only routes 403 whatever the ids; B's records are unchanged afterwards. A plain key gets 403.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminRoutes } from '../../src/api/admin/index.js';
import type { Stores } from '../../src/stores/types.js';
import { startAdminGateway, type AdminGateway } from '../helpers/admin.js';
import { openMemory, openPGliteInMemory } from '../helpers/stores.js';

interface ErrorBody {
  error: { code: string; message: string; param: string | null };
}

/** A body that would pass validation for most routes, so a refusal cannot be a 400 in disguise. */
const plausibleBody = { name: 'x', amount_usd: 1, period: 'day' };

function scopeSuite(openStores: () => Promise<Stores>): void {
  let admin: AdminGateway;
  let adminA: string;
  let plainA: string;
  let keyA: string;
  let keyB: string;

  before(async () => {
    admin = await startAdminGateway(openStores);
    for (const id of ['tenant-a', 'tenant-b']) assert.equal((await admin.call('POST', '/admin/tenants', { body: { id, name: id } })).status, 201);
    const made = async (tenant: string, body: object) => (await admin.call<{ id: string; secret: string }>('POST', `/admin/tenants/${tenant}/keys`, { body })).body;
    const a = await made('tenant-a', { name: 'a admin', scopes: { admin: true } });
    adminA = a.secret;
    plainA = (await made('tenant-a', { name: 'a plain' })).secret;
    keyA = (await made('tenant-a', { name: 'a worker' })).id;
    keyB = (await made('tenant-b', { name: 'b worker', budget: { amount_usd: 9, period: 'day' } })).id;
  });
  after(() => admin.close());

  test('a key without the admin scope gets 403 on every admin route', async () => {
    for (const path of ['/admin/tenants', '/admin/tenants/tenant-a', '/admin/tenants/tenant-a/keys', '/admin/deployments', '/admin/openapi.json']) {
      const reply = await admin.call<ErrorBody>('GET', path, { key: plainA });
      assert.equal(reply.status, 403, path);
      assert.equal(reply.body.error.code, 'permission_denied', path);
    }
  });

  test('a tenant admin manages its own keys and key budgets', async () => {
    assert.equal((await admin.call('GET', '/admin/tenants/tenant-a', { key: adminA })).status, 200);
    const created = await admin.call<{ id: string; secret: string }>('POST', '/admin/tenants/tenant-a/keys', { key: adminA, body: { name: 'made by a', limits: { requests_per_minute: 5 } } });
    assert.equal(created.status, 201);
    const path = `/admin/tenants/tenant-a/keys/${created.body.id}`;
    assert.equal((await admin.call('PATCH', path, { key: adminA, body: { name: 'renamed by a' } })).status, 200);
    assert.equal((await admin.call('PUT', `${path}/budget`, { key: adminA, body: { amount_usd: 2, period: 'month' } })).status, 200);
    assert.equal((await admin.call('DELETE', `${path}/budget`, { key: adminA })).status, 200);
    const list = await admin.call<{ data: { tenant_id: string }[] }>('GET', '/admin/tenants/tenant-a/keys', { key: adminA });
    assert.equal(list.status, 200);
    assert.ok(list.body.data.length >= 4 && list.body.data.every((key) => key.tenant_id === 'tenant-a'), 'only its own keys');
    assert.equal((await admin.call('DELETE', path, { key: adminA })).status, 200);
  });

  test("a tenant admin cannot list or create tenants, change its tenant's limits or budget, or set a key tier", async () => {
    const refused: [string, string, unknown][] = [
      ['GET', '/admin/tenants', undefined],
      ['POST', '/admin/tenants', { name: 'mine now' }],
      ['PATCH', '/admin/tenants/tenant-a', { limits: { requests_per_minute: 1_000_000 } }],
      ['PUT', '/admin/tenants/tenant-a/budget', { amount_usd: 1e6, period: 'month' }],
      ['DELETE', '/admin/tenants/tenant-a/budget', undefined],
      ['POST', '/admin/tenants/tenant-a/keys', { name: 'vip', tier: 'gold' }],
      ['PATCH', `/admin/tenants/tenant-a/keys/${keyA}`, { tier: 'gold' }],
      ['GET', '/admin/deployments', undefined],
      ['POST', '/admin/kill-switches', { action: 'disable', target: { provider: 'sim' } }],
    ];
    for (const [method, path, body] of refused) {
      const reply = await admin.call<ErrorBody>(method, path, { key: adminA, body });
      assert.equal(reply.status, 403, `${method} ${path}: ${JSON.stringify(reply.body)}`);
      assert.equal(reply.body.error.code, 'permission_denied', `${method} ${path}`);
    }
  });

  const tenantRoutes = adminRoutes.filter((route) => route.path.includes('{tenant_id}'));

  test('every tenant route: tenant B ids answer to tenant A admin as if absent (404) or 403 when master-only', async () => {
    assert.ok(tenantRoutes.length >= 11, `found ${tenantRoutes.length} tenant routes`);
    const fill = (path: string, tenant: string, key: string) =>
      path.replace('{tenant_id}', tenant).replace('{key_id}', key).replace(/\{[a-z_]+\}/g, 'x');
    for (const route of tenantRoutes) {
      const body = route.body === undefined ? undefined : plausibleBody;
      const cross = await admin.call<ErrorBody>(route.method, fill(route.path, 'tenant-b', keyB), { key: adminA, body });
      const absent = await admin.call<ErrorBody>(route.method, fill(route.path, 'no-such-tenant', keyB), { key: adminA, body });
      const label = `${route.method} ${route.path}`;
      if (route.access === 'tenant') {
        assert.equal(cross.status, 404, `${label}: ${JSON.stringify(cross.body)}`);
        assert.equal(cross.body.error.message.replace('tenant-b', 'ID'), absent.body.error.message.replace('no-such-tenant', 'ID'), `${label}: same answer as an absent tenant`);
        assert.ok(!JSON.stringify(cross.body).includes(keyB), `${label}: tells nothing of B's key`);
      } else {
        assert.equal(cross.status, 403, `${label}: ${JSON.stringify(cross.body)}`);
        assert.equal(absent.status, 403, `${label}: the same refusal whatever the id`);
      }
    }
    const b = await admin.call<{ status: string; budget: unknown; name: string }>('GET', `/admin/tenants/tenant-b/keys/${keyB}`);
    assert.deepEqual([b.body.status, b.body.name, b.body.budget], ['active', 'b worker', { amount_usd: 9, period: 'day' }], "B's key is untouched");
  });

  test('the master key reaches every tenant', async () => {
    assert.equal((await admin.call('GET', `/admin/tenants/tenant-b/keys/${keyB}`)).status, 200);
    assert.equal((await admin.call('GET', '/admin/tenants/tenant-a')).status, 200);
  });
}

describe('tenant-scoped admin on the memory store', () => scopeSuite(openMemory));
describe('tenant-scoped admin on PGlite', () => scopeSuite(openPGliteInMemory));
