/**
 * One contract for TenantStore, KeyStore and the change feed, run against every implementation: memory,
 * PGlite (in memory, in its worker) and PostgreSQL (own schema). The key cache runs on each of them too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Tenant } from '../../src/core/tenancy.js';
import { KeyCache } from '../../src/stores/key-cache.js';
import { StoreError, type StoreChange, type Stores } from '../../src/stores/types.js';
import { describePostgres, testSchema } from '../helpers/postgres.js';
import { openMemory, openPGliteInMemory, openPostgres, recordingLog } from '../helpers/stores.js';

const rejectsWith = (promise: Promise<unknown>, code: StoreError['code']) =>
  assert.rejects(promise, (error: unknown) => error instanceof StoreError && error.code === code);

function storeContract(open: () => Promise<Stores>, cleanup: () => Promise<void> = async () => undefined): void {
  let stores: Stores;
  /** A unique tenant per test, so tests never see each other's rows (the Postgres schema is shared by the file). */
  let counter = 0;
  const freshTenant = (extra: Partial<Parameters<Stores['tenants']['create']>[0]> = {}): Promise<Tenant> =>
    stores.tenants.create({ id: `t${process.pid}-${++counter}-${Date.now()}`, name: `Tenant ${counter}`, ...extra });

  before(async () => {
    stores = await open();
  });
  after(async () => {
    await stores?.close();
    await cleanup();
  });

  describe('tenants', () => {
    test('create fills defaults and get returns the same record', async () => {
      const tenant = await stores.tenants.create({ name: 'Acme' });
      assert.match(tenant.id, /^ten_[0-9a-z]{13}[0-9A-Za-z]{10}$/);
      assert.deepEqual(
        { ...tenant, createdAt: undefined },
        { id: tenant.id, name: 'Acme', tier: null, limits: {}, budget: null, metadata: {}, version: 1, createdAt: undefined },
      );
      assert.ok(Math.abs(tenant.createdAt.getTime() - Date.now()) < 60_000, 'createdAt is now');
      assert.deepEqual(await stores.tenants.get(tenant.id), tenant);
      assert.equal(await stores.tenants.get('no-such-tenant'), undefined);
    });

    test('keeps an operator-chosen id, tier, limits, budget and metadata', async () => {
      const tenant = await freshTenant({
        tier: 'gold',
        limits: { requests_per_minute: 600, concurrent_requests: 8 },
        budget: { amount_usd: 250, period: 'month', on_exhausted: 'downgrade', downgrade_to: 'fast' },
        metadata: { team: 'search', cost_center: 42, tags: ['a', 'b'] },
      });
      assert.deepEqual(await stores.tenants.get(tenant.id), tenant);
      assert.equal(tenant.tier, 'gold');
      assert.deepEqual(tenant.budget, { amount_usd: 250, period: 'month', on_exhausted: 'downgrade', downgrade_to: 'fast' });
    });

    test('a taken id is a conflict; a malformed id or empty name is invalid', async () => {
      const tenant = await freshTenant();
      await rejectsWith(stores.tenants.create({ id: tenant.id, name: 'again' }), 'conflict');
      await rejectsWith(stores.tenants.create({ id: 'has space', name: 'x' }), 'invalid');
      await rejectsWith(stores.tenants.create({ name: '  ' }), 'invalid');
    });

    test('update changes only the named fields and bumps the version', async () => {
      const tenant = await freshTenant({ tier: 'free', metadata: { a: 1 } });
      const updated = await stores.tenants.update(tenant.id, { tier: 'pro', name: 'Renamed' });
      assert.deepEqual(updated, { ...tenant, tier: 'pro', name: 'Renamed', version: 2 });
      assert.deepEqual(await stores.tenants.get(tenant.id), updated);
      assert.deepEqual((await stores.tenants.update(tenant.id, { tier: null }))?.tier, null);
      assert.equal(await stores.tenants.update('no-such-tenant', { tier: 'x' }), undefined);
    });

    test('list pages in id order with limit and after', async () => {
      const prefix = `page${process.pid}-${Date.now()}`;
      for (const suffix of ['c', 'a', 'B', 'b']) await stores.tenants.create({ id: `${prefix}-${suffix}`, name: suffix });
      const all: string[] = [];
      let after: string | undefined = `${prefix}-`;
      for (;;) {
        const page = await stores.tenants.list({ limit: 2, after });
        const ours = page.filter((tenant) => tenant.id.startsWith(prefix));
        all.push(...ours.map((tenant) => tenant.id));
        if (ours.length < 2) break;
        after = page.at(-1)!.id;
      }
      assert.deepEqual(all, ['B', 'a', 'b', 'c'].map((suffix) => `${prefix}-${suffix}`));
    });
  });

  describe('keys', () => {
    test('create returns the secret once; the record holds only its prefix and peppered hash', async () => {
      const tenant = await freshTenant();
      const { key, secret } = await stores.keys.create(tenant.id, { name: 'ci', scopes: { models: ['fast'] } });
      assert.match(secret, /^sk-sy-[0-9A-Za-z]{43}$/);
      assert.equal(key.keyPrefix, secret.slice(0, 12));
      assert.equal(key.keyHash, stores.hashKey(secret));
      assert.match(key.keyHash, /^[0-9a-f]{64}$/);
      assert.ok(!JSON.stringify(key).includes(secret.slice(12)), 'the secret is not in the record');
      assert.match(key.id, /^key_/);
      assert.deepEqual(
        { ...key, id: undefined, keyPrefix: undefined, keyHash: undefined, createdAt: undefined },
        {
          id: undefined,
          tenantId: tenant.id,
          name: 'ci',
          keyPrefix: undefined,
          keyHash: undefined,
          scopes: { models: ['fast'] },
          tier: null,
          limits: {},
          budget: null,
          metadata: {},
          version: 1,
          expiresAt: null,
          revokedAt: null,
          createdAt: undefined,
          lastUsedAt: null,
        },
      );
      assert.deepEqual(await stores.keys.get(tenant.id, key.id), key);
    });

    test('two keys never share a secret or hash', async () => {
      const tenant = await freshTenant();
      const one = await stores.keys.create(tenant.id, { name: 'one' });
      const two = await stores.keys.create(tenant.id, { name: 'two' });
      assert.notEqual(one.secret, two.secret);
      assert.notEqual(one.key.keyHash, two.key.keyHash);
    });

    test('a key for a tenant that does not exist is not_found', async () => {
      await rejectsWith(stores.keys.create('no-such-tenant', { name: 'x' }), 'not_found');
    });

    test('update changes scopes, tier, limits, budget, metadata and expiry, bumping the version', async () => {
      const tenant = await freshTenant();
      const { key } = await stores.keys.create(tenant.id, { name: 'k' });
      const patch = {
        scopes: { models: ['gpt-4o*'] },
        tier: 'batch',
        limits: { tokens_per_minute: 1000 },
        budget: { amount_usd: 5, period: 'day' as const },
        metadata: { owner: 'ci' },
        expiresAt: new Date(Date.now() + 3_600_000),
      };
      const updated = await stores.keys.update(tenant.id, key.id, patch);
      assert.deepEqual(updated, { ...key, ...patch, version: 2 });
      assert.deepEqual(await stores.keys.get(tenant.id, key.id), updated);
    });

    test('revoke is idempotent and final: the first revokedAt stays, updates no longer apply', async () => {
      const tenant = await freshTenant();
      const { key } = await stores.keys.create(tenant.id, { name: 'k' });
      const revoked = await stores.keys.revoke(tenant.id, key.id);
      assert.ok(revoked?.revokedAt instanceof Date, 'revokedAt is set');
      assert.equal(revoked.version, 2);
      assert.deepEqual(await stores.keys.revoke(tenant.id, key.id), revoked);
      assert.deepEqual(await stores.keys.update(tenant.id, key.id, { name: 'renamed' }), revoked);
      assert.equal(await stores.keys.revoke(tenant.id, 'key_missing'), undefined);
    });

    test('list shows live keys in creation order, revoked ones only when asked, and pages', async () => {
      const tenant = await freshTenant();
      const created = [];
      for (const name of ['a', 'b', 'c']) created.push((await stores.keys.create(tenant.id, { name })).key);
      await stores.keys.revoke(tenant.id, created[1]!.id);
      assert.deepEqual((await stores.keys.list(tenant.id)).map((key) => key.name), ['a', 'c']);
      assert.deepEqual((await stores.keys.list(tenant.id, { includeRevoked: true })).map((key) => key.name), ['a', 'b', 'c']);
      const first = await stores.keys.list(tenant.id, { includeRevoked: true, limit: 2 });
      const second = await stores.keys.list(tenant.id, { includeRevoked: true, limit: 2, after: first.at(-1)!.id });
      assert.deepEqual([...first, ...second].map((key) => key.name), ['a', 'b', 'c']);
      await rejectsWith(stores.keys.list(tenant.id, { limit: 0 }), 'invalid');
    });

    test('findByHash resolves key and tenant, revoked or not; activeKeys holds only live keys', async () => {
      const tenant = await freshTenant({ tier: 'gold' });
      const live = await stores.keys.create(tenant.id, { name: 'live' });
      const dead = await stores.keys.create(tenant.id, { name: 'dead' });
      const revoked = await stores.keys.revoke(tenant.id, dead.key.id);
      assert.deepEqual(await stores.keys.findByHash(stores.hashKey(live.secret)), { key: live.key, tenant });
      assert.deepEqual(await stores.keys.findByHash(stores.hashKey(dead.secret)), { key: revoked, tenant });
      assert.equal(await stores.keys.findByHash(stores.hashKey('sk-sy-unknown')), undefined);
      const active = (await stores.keys.activeKeys()).filter((entry) => entry.tenant.id === tenant.id);
      assert.deepEqual(active, [{ key: live.key, tenant }]);
    });

    test('touch records last use in one batch and never moves it backwards', async () => {
      const tenant = await freshTenant();
      const { key } = await stores.keys.create(tenant.id, { name: 'k' });
      const later = new Date(Date.now() + 1000);
      await stores.keys.touch(new Map([[key.id, later], ['key_missing', later]]));
      assert.equal((await stores.keys.get(tenant.id, key.id))?.lastUsedAt?.getTime(), later.getTime());
      await stores.keys.touch(new Map([[key.id, new Date(later.getTime() - 500)]]));
      assert.equal((await stores.keys.get(tenant.id, key.id))?.lastUsedAt?.getTime(), later.getTime());
      assert.equal((await stores.keys.get(tenant.id, key.id))?.version, 1, 'last use is not a change');
    });
  });

  describe('tenant isolation', () => {
    test("tenant B can neither read, list, update nor revoke tenant A's key", async () => {
      const a = await freshTenant();
      const b = await freshTenant();
      const { key } = await stores.keys.create(a.id, { name: 'a-key' });
      await stores.keys.create(b.id, { name: 'b-key' });
      assert.equal(await stores.keys.get(b.id, key.id), undefined);
      assert.deepEqual((await stores.keys.list(b.id, { includeRevoked: true })).map((k) => k.name), ['b-key']);
      assert.equal(await stores.keys.update(b.id, key.id, { scopes: {} }), undefined);
      assert.equal(await stores.keys.revoke(b.id, key.id), undefined);
      assert.deepEqual(await stores.keys.get(a.id, key.id), key, "A's key is untouched");
    });
  });

  describe('change feed', () => {
    test("this process's writes are announced with the new record", async () => {
      const seen: StoreChange[] = [];
      const unsubscribe = stores.changes.subscribe((change) => seen.push(change));
      const tenant = await freshTenant();
      const { key } = await stores.keys.create(tenant.id, { name: 'k' });
      const revoked = await stores.keys.revoke(tenant.id, key.id);
      unsubscribe();
      await stores.tenants.update(tenant.id, { tier: 'after-unsubscribe' });
      const local = seen.filter((change) => change.kind !== 'resync' && change.tenantId === tenant.id && ('tenant' in change || 'resolved' in change));
      assert.deepEqual(local, [
        { kind: 'tenant', tenantId: tenant.id, version: 1, removed: false, tenant },
        { kind: 'key', tenantId: tenant.id, keyId: key.id, version: 1, removed: false, resolved: { key, tenant } },
        { kind: 'key', tenantId: tenant.id, keyId: key.id, version: 2, removed: true, resolved: { key: revoked, tenant } },
      ]);
    });
  });

  describe('key cache on this store', () => {
    let cache: KeyCache;
    before(async () => {
      cache = await KeyCache.start(stores, { log: recordingLog() });
    });
    after(() => cache.close());

    test('a new key resolves at once; a revoked one stops at once; scope changes apply at once', async () => {
      const tenant = await freshTenant({ tier: 'gold' });
      assert.equal(cache.hasTenants, true);
      const { key, secret } = await stores.keys.create(tenant.id, { name: 'k', scopes: { models: ['a'] } });
      assert.deepEqual(cache.resolve(secret), { key, tenant });
      const updated = await stores.keys.update(tenant.id, key.id, { scopes: { models: ['b'] } });
      assert.deepEqual(cache.resolve(secret)?.key, updated);
      const renamed = await stores.tenants.update(tenant.id, { tier: 'platinum' });
      assert.deepEqual(cache.resolve(secret)?.tenant, renamed);
      await stores.keys.revoke(tenant.id, key.id);
      assert.equal(cache.resolve(secret), undefined);
      await cache.settled();
      assert.equal(cache.resolve(secret), undefined);
    });

    test('unknown and malformed secrets resolve to nothing', () => {
      assert.equal(cache.resolve('sk-sy-' + 'x'.repeat(43)), undefined);
      assert.equal(cache.resolve('not-a-key'), undefined);
      assert.equal(cache.resolve(''), undefined);
    });

    test('a cache started later loads live keys from the store', async () => {
      const tenant = await freshTenant();
      const live = await stores.keys.create(tenant.id, { name: 'live' });
      const dead = await stores.keys.create(tenant.id, { name: 'dead' });
      await stores.keys.revoke(tenant.id, dead.key.id);
      const fresh = await KeyCache.start(stores, { log: recordingLog() });
      try {
        assert.equal(fresh.resolve(live.secret)?.key.id, live.key.id);
        assert.equal(fresh.resolve(dead.secret), undefined);
      } finally {
        await fresh.close();
      }
    });

    test('uses are written to last_used_at in one flush', async () => {
      const tenant = await freshTenant();
      const { key } = await stores.keys.create(tenant.id, { name: 'k' });
      const before = Date.now();
      cache.markUsed(key.id);
      await cache.flush();
      const stored = await stores.keys.get(tenant.id, key.id);
      assert.ok((stored?.lastUsedAt?.getTime() ?? 0) >= before - 1, 'lastUsedAt is the time of use');
    });
  });
}

describe('memory stores', () => storeContract(openMemory));

describe('PGlite stores (in memory, worker thread)', () => storeContract(openPGliteInMemory));

const schema = testSchema();
describePostgres('PostgreSQL stores', () => storeContract(() => openPostgres(schema.name), () => schema.drop()));
