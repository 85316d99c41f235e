/**
 * The embedded store outlives its PGlite worker: the thread is ended as a crash would end it, a write during the
 * gap fails as 503 store_unavailable (bounded, not hanging), the supervisor restarts the worker on the same data,
 * and writes and reads then succeed with the earlier data intact. One log line per state change; close() after
 * that starts no further restart.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { GatewayError } from '../../src/core/errors.js';
import { openSqlStores } from '../../src/stores/sql/index.js';
import { startEmbeddedDatabase } from '../../src/stores/sql/pglite.js';
import { recordingLog, TEST_PEPPER } from '../helpers/stores.js';

const root = mkdtempSync(join(tmpdir(), 'sy-pglite-crash-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function eventually<T>(work: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await work();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((done) => setTimeout(done, 100));
    }
  }
}

test('a dead PGlite worker is restarted on the same data; the gap is 503 store_unavailable', async () => {
  const log = recordingLog();
  const embedded = await startEmbeddedDatabase(join(root, 'pglite'), log);
  const stores = await openSqlStores({
    kind: 'pglite',
    client: embedded.client,
    schema: 'public',
    poolSize: 1,
    pepper: TEST_PEPPER,
    log,
    availability: embedded.availability,
    onClose: () => embedded.close(),
  });
  try {
    await stores.tenants.create({ id: 'before', name: 'Before' });
    const changes: boolean[] = [];
    embedded.availability.onChange((up) => changes.push(up));

    await embedded.terminateWorker();
    const started = Date.now();
    await assert.rejects(stores.tenants.create({ id: 'during', name: 'During' }), (error: unknown) => {
      assert.ok(error instanceof GatewayError && error.code === 'store_unavailable', String(error));
      return true;
    });
    assert.ok(Date.now() - started < 5000, 'failed fast');

    await eventually(() => stores.tenants.create({ id: 'after', name: 'After' }));
    assert.equal((await stores.tenants.get('before'))?.name, 'Before', 'the earlier data survived');
    assert.equal((await stores.tenants.get('after'))?.name, 'After');
    assert.deepEqual(changes, [false, true]);
    assert.equal(log.lines.filter((line) => line.message === 'embedded database worker died; restarting it').length, 1);
    assert.equal(log.lines.filter((line) => line.message === 'embedded database worker restarted').length, 1);
  } finally {
    await stores.close();
  }
  const lines = log.lines.length;
  await new Promise((done) => setTimeout(done, 500));
  assert.equal(log.lines.length, lines, 'no restart after close()');
});
