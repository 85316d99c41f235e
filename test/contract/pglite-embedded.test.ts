/**
 * The default embedded mode end to end: `openStores` with no URL starts PGlite in a worker on `<data_dir>/pglite`,
 * generates and keeps the pepper, keeps keys across restarts, and refuses a second process on the same data.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { KeyCache } from '../../src/stores/key-cache.js';
import { openStores } from '../../src/stores/open.js';
import { recordingLog } from '../helpers/stores.js';

const dataDir = join(mkdtempSync(join(tmpdir(), 'sy-embedded-')), 'data');
const settings = { ...parseConfig({ providers: {}, models: {} }, {}, 'test').store, data_dir: dataDir };
after(() => rmSync(join(dataDir, '..'), { recursive: true, force: true }));

test('keys survive a restart of the embedded store; a second opener of the same data is refused', async () => {
  const log = recordingLog();
  const first = await openStores(settings, undefined, {}, log);
  let secret: string;
  try {
    assert.equal(first.kind, 'pglite');
    assert.ok(existsSync(join(dataDir, 'key-pepper')), 'the pepper was generated into the data dir');
    assert.ok(log.lines.some((line) => line.level === 'warn' && line.message.startsWith('GENERATED A KEY PEPPER')), 'loudly');
    const tenant = await first.tenants.create({ id: 'acme', name: 'Acme' });
    secret = (await first.keys.create(tenant.id, { name: 'k' })).secret;
    await assert.rejects(openStores(settings, undefined, {}, recordingLog()), /in use by process/);
  } finally {
    await first.close();
  }

  const second = await openStores(settings, undefined, {}, recordingLog());
  try {
    const cache = await KeyCache.start(second, { log: recordingLog() });
    assert.equal(cache.resolve(secret)?.tenant.id, 'acme');
    await cache.close();
  } finally {
    await second.close();
  }

  await assert.rejects(openStores(settings, 'a-different-pepper-0123', {}, recordingLog()), /not the one the stored API keys were hashed with/);
});
