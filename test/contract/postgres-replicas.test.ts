/**
 * Two gateway replicas on one PostgreSQL: what one writes, the other's key cache sees within 1 s (LISTEN/NOTIFY),
 * a lost change feed recovers by reloading, migrations run once, and a different pepper is refused.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { KeyCache } from '../../src/stores/key-cache.js';
import { migrationsFolder } from '../../src/stores/sql/migrate.js';
import type { Stores } from '../../src/stores/types.js';
import { describePostgres, POSTGRES_URL, testSchema } from '../helpers/postgres.js';
import { openPostgres, recordingLog } from '../helpers/stores.js';

/** Polls `check` until it holds; returns how long that took, or fails after `limitMs`. */
async function within(limitMs: number, what: string, check: () => boolean): Promise<number> {
  const started = performance.now();
  while (!check()) {
    if (performance.now() - started > limitMs) assert.fail(`${what}: not within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return performance.now() - started;
}

describePostgres('PostgreSQL: two replicas sharing one database', () => {
  const schema = testSchema();
  const replicaB = `sy-replica-b-${schema.name}`;
  const logB = recordingLog();
  let a: Stores;
  let b: Stores;
  let cacheB: KeyCache;
  let admin: pg.Client;

  before(async () => {
    // Opened together: the advisory lock makes one migrate while the other waits.
    [a, b] = await Promise.all([
      openPostgres(schema.name, { applicationName: `sy-replica-a-${schema.name}` }),
      openPostgres(schema.name, { applicationName: replicaB, log: logB }),
    ]);
    cacheB = await KeyCache.start(b, { log: logB });
    admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
  });

  after(async () => {
    await cacheB?.close();
    await Promise.all([a?.close(), b?.close()]);
    await admin?.end();
    await schema.drop();
  });

  test('migrations ran once for both replicas', async () => {
    const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] };
    const { rows } = await admin.query<{ count: string }>(`select count(*) from ${schema.name}.__drizzle_migrations`);
    assert.equal(Number(rows[0]!.count), journal.entries.length);
  });

  test("a key created, changed and revoked on replica A reaches replica B's cache within 1 s each", async () => {
    const tenant = await a.tenants.create({ name: 'Acme', tier: 'free' });
    const { key, secret } = await a.keys.create(tenant.id, { name: 'k', scopes: { models: ['fast'] } });
    await within(1000, 'new key on B', () => cacheB.resolve(secret)?.key.id === key.id);
    assert.equal(cacheB.hasTenants, true);

    await a.keys.update(tenant.id, key.id, { scopes: { models: ['smart'] } });
    await within(1000, 'scope change on B', () => cacheB.resolve(secret)?.key.scopes.models?.[0] === 'smart');

    await a.tenants.update(tenant.id, { tier: 'pro' });
    await within(1000, 'tenant tier on B', () => cacheB.resolve(secret)?.tenant.tier === 'pro');

    await a.keys.revoke(tenant.id, key.id);
    const tookMs = await within(1000, 'revocation on B', () => cacheB.resolve(secret) === undefined);
    assert.ok(tookMs < 1000, `revocation took ${tookMs} ms`);
  });

  test('a revocation made while the change feed was down is applied once it reconnects', async () => {
    const tenant = await a.tenants.create({ name: 'Outage' });
    const { key, secret } = await a.keys.create(tenant.id, { name: 'k' });
    await within(1000, 'new key on B', () => cacheB.resolve(secret) !== undefined);

    // Cut every connection of replica B (its LISTEN connection included), then revoke while it is away.
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [replicaB]);
    await within(2000, 'B notices the lost feed', () => logB.lines.some((line) => line.message.startsWith('store change feed lost')));
    await a.keys.revoke(tenant.id, key.id);

    await within(5000, 'revocation on B after resync', () => cacheB.resolve(secret) === undefined);
    assert.ok(logB.lines.some((line) => line.message === 'store change feed reconnected'), 'the feed reconnected');
  });

  test('opening with a different pepper is refused, so no key silently stops working', async () => {
    await assert.rejects(openPostgres(schema.name, { pepper: 'another-pepper-0123456789' }), /not the one the stored API keys were hashed with/);
  });
});
