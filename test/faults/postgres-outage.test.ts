/**
 * The tenant/key store going away under a running gateway in cluster mode (issue 5, DESIGN.md §12). The gateway
 * reaches PostgreSQL through a TCP proxy the test cuts (blackhole: connections hang; refuse: connections reset);
 * another replica writes straight to the database. While cut: /v1 keeps serving from the key cache, admin writes
 * (POST /admin/tenants) fail with 503 store_unavailable within the connect + statement timeouts. After: the change
 * feed reconnects and resyncs (a key revoked during the cut stops working within about a second) and the pool
 * works again, all without a restart.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KeyCache } from '../../src/stores/key-cache.js';
import { describePostgres, testSchema } from '../helpers/postgres.js';
import { openPostgresBehindProxy, type Cut, type PostgresBehindProxy } from '../helpers/postgres-outage.js';
import { postJson, simConfig, startTestGateway, type RunningGateway } from '../helpers/server.js';
import { recordingLog } from '../helpers/stores.js';

const MASTER = 'master-key-for-tests';
const CONNECT_TIMEOUT_MS = 500;
const STATEMENT_TIMEOUT_MS = 500;
/** A write may wait for a connection, then for its statement (plus the client's margin); anything near this is a hang. */
const WRITE_BOUND_MS = CONNECT_TIMEOUT_MS + STATEMENT_TIMEOUT_MS + 1000 + 2000;

async function within<T>(limitMs: number, what: string, attempt: () => Promise<T | undefined>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  for (;;) {
    const value = await attempt();
    if (value !== undefined) return { value, ms: performance.now() - started };
    if (performance.now() - started > limitMs) assert.fail(`${what}: not within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describePostgres('PostgreSQL outage under a running gateway', () => {
  const schema = testSchema();
  const log = recordingLog();
  let db: PostgresBehindProxy;
  let cache: KeyCache;
  let gateway: RunningGateway;

  before(async () => {
    db = await openPostgresBehindProxy(schema.name, {
      label: 'outage',
      log,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      statementTimeoutMs: STATEMENT_TIMEOUT_MS,
      heartbeatMs: 300,
    });
    cache = await KeyCache.start(db.own, { log, retryMs: 200 });
    gateway = await startTestGateway(simConfig({ auth: { master_key: MASTER } }), { keys: cache, stores: db.own });
  });
  after(async () => {
    await gateway?.close();
    await cache?.close();
    await db?.close();
    await schema.drop();
  });

  async function status(secret: string): Promise<number> {
    const body = { model: 'fast', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 };
    const response = await postJson(`${gateway.url}/v1/chat/completions`, body, { authorization: `Bearer ${secret}` });
    await response.arrayBuffer();
    return response.status;
  }

  async function createTenant(name: string): Promise<{ status: number; body: { name?: string; error?: { code: string; message: string } } }> {
    const response = await postJson(`${gateway.url}/admin/tenants`, { name }, { authorization: `Bearer ${MASTER}` });
    return { status: response.status, body: (await response.json()) as { name?: string; error?: { code: string; message: string } } };
  }

  async function outage(mode: Cut): Promise<void> {
    const tenantId = `acme-${mode}`;
    await db.other.tenants.create({ id: tenantId, name: 'Acme' });
    const kept = await db.other.keys.create(tenantId, { name: 'kept' });
    const revoked = await db.other.keys.create(tenantId, { name: 'revoked during the cut' });
    await within(5000, 'the keys reach the gateway', async () =>
      (await status(kept.secret)) === 200 && (await status(revoked.secret)) === 200 ? true : undefined,
    );

    db.cut(mode);
    try {
      for (let round = 0; round < 5; round += 1) {
        assert.equal(await status(kept.secret), 200, `round ${round}: /v1 is served from the key cache`);
      }
      const started = performance.now();
      const failure = await createTenant('not now');
      const waited = performance.now() - started;
      assert.equal(failure.status, 503, 'POST /admin/tenants with the database cut');
      assert.equal(failure.body.error?.code, 'store_unavailable');
      assert.match(failure.body.error?.message ?? '', /cannot be reached or did not answer in time/);
      assert.ok(waited < WRITE_BOUND_MS, `the write failed after ${Math.round(waited)} ms, within the connect + statement timeouts`);

      await db.other.keys.revoke(tenantId, revoked.key.id);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(await status(revoked.secret), 200, 'the cut replica cannot hear of the revocation yet');
    } finally {
      db.resume();
    }

    const { ms } = await within(5000, 'the revocation applies after the database is back', async () =>
      (await status(revoked.secret)) === 401 ? true : undefined,
    );
    assert.ok(ms < 2500, `the revoked key stopped working ${Math.round(ms)} ms after recovery (reconnect ≤ 1 s + resync)`);
    assert.equal(await status(kept.secret), 200, 'other keys still work');
    const { value: written } = await within(5000, 'writes work again without a restart', async () => {
      const created = await createTenant(`after the ${mode}`);
      return created.status === 201 ? created.body : undefined;
    });
    assert.equal(written.name, `after the ${mode}`);
  }

  test('blackhole: served from cache, writes 503 in bounded time, revocation applied within ~1 s of recovery', async () => {
    await outage('blackhole');
  });

  test('refuse: same', async () => {
    await outage('refuse');
  });

  test('an outage logs the lost change feed once, not once per retry', () => {
    const lost = log.lines.filter((line) => line.message.startsWith('store change feed lost')).length;
    const stillDown = log.lines.filter((line) => line.message.startsWith('store change feed still down')).length;
    assert.ok(lost >= 1 && lost <= 2, `one "lost" line per outage (got ${lost})`);
    assert.ok(stillDown <= 2, `at most one "still down" line per outage (got ${stillDown})`);
  });
});
