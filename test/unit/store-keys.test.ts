import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { displayPrefix, generateKeySecret, keyHasher, looksLikeKey, newId, randomBase62 } from '../../src/stores/key-secret.js';
import { storeDriver } from '../../src/stores/open.js';
import { PEPPER_FILE, resolvePepper } from '../../src/stores/pepper.js';
import { migrationsFolder } from '../../src/stores/sql/migrate.js';
import { recordingLog } from '../helpers/stores.js';

describe('key secrets', () => {
  test('secrets are sk-sy- plus 43 base62 characters, all different', () => {
    const secrets = new Set(Array.from({ length: 200 }, generateKeySecret));
    assert.equal(secrets.size, 200);
    for (const secret of secrets) {
      assert.match(secret, /^sk-sy-[0-9A-Za-z]{43}$/);
      assert.equal(looksLikeKey(secret), true);
    }
    assert.equal(looksLikeKey('sk-sy-short'), false);
    assert.equal(displayPrefix('sk-sy-abcdefghij'), 'sk-sy-abcdef');
  });

  test('base62 draws every character about equally often (no modulo bias)', () => {
    const counts = new Map<string, number>();
    for (const char of randomBase62(62_000)) counts.set(char, (counts.get(char) ?? 0) + 1);
    assert.equal(counts.size, 62);
    for (const count of counts.values()) assert.ok(count > 800 && count < 1200, `count ${count} is near 1000`);
  });

  test('the hash is an HMAC of the secret with the pepper: same pepper same hash, other pepper other hash', () => {
    const secret = generateKeySecret();
    assert.equal(keyHasher('pepper-one-0123456')(secret), keyHasher('pepper-one-0123456')(secret));
    assert.notEqual(keyHasher('pepper-one-0123456')(secret), keyHasher('pepper-two-0123456')(secret));
    assert.match(keyHasher('p')(secret), /^[0-9a-f]{64}$/);
  });

  test('ids sort in creation order, also within one millisecond', () => {
    const ids = Array.from({ length: 500 }, () => newId('key'));
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, ids.length);
  });
});

describe('key pepper', () => {
  test('a configured pepper wins and must be long enough', () => {
    assert.equal(resolvePepper('postgres', 'configured-pepper-123', '/nonexistent', recordingLog()), 'configured-pepper-123');
    assert.throws(() => resolvePepper('memory', 'short', '/nonexistent', recordingLog()), /at least 16/);
  });

  test('PostgreSQL without a pepper refuses to start', () => {
    assert.throws(() => resolvePepper('postgres', undefined, '/nonexistent', recordingLog()), /SWITCHYARD_KEY_PEPPER/);
  });

  test('memory makes a throwaway pepper and writes nothing', () => {
    const a = resolvePepper('memory', undefined, '/nonexistent', recordingLog());
    assert.notEqual(a, resolvePepper('memory', undefined, '/nonexistent', recordingLog()));
  });

  test('embedded PGlite generates one pepper into the data dir (0600, loud warning) and reuses it', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'sy-pepper-')), 'data');
    try {
      const log = recordingLog();
      const pepper = resolvePepper('pglite', undefined, dir, log);
      assert.ok(pepper.length >= 32, 'a long pepper');
      assert.equal(readFileSync(join(dir, PEPPER_FILE), 'utf8').trim(), pepper);
      assert.equal(statSync(join(dir, PEPPER_FILE)).mode & 0o777, 0o600);
      assert.equal(log.lines.length, 1);
      assert.match(log.lines[0]!.message, /^GENERATED A KEY PEPPER/);
      const again = recordingLog();
      assert.equal(resolvePepper('pglite', undefined, dir, again), pepper);
      assert.equal(again.lines.length, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('store selection and config', () => {
  const settings = parseConfig({ providers: {}, models: {} }, {}, 'test').store;

  test('defaults: auto driver, ./data, public schema, 5 s connect and statement timeouts', () => {
    assert.deepEqual(settings, {
      driver: 'auto',
      schema: 'public',
      data_dir: './data',
      pool_size: 10,
      connect_timeout_ms: 5000,
      statement_timeout_ms: 5000,
    });
  });

  test('auto picks PostgreSQL when DATABASE_URL or store.url is set, else PGlite', () => {
    assert.deepEqual(storeDriver(settings, {}), { driver: 'pglite', url: undefined });
    assert.deepEqual(storeDriver(settings, { DATABASE_URL: 'postgres://db/x' }), { driver: 'postgres', url: 'postgres://db/x' });
    assert.deepEqual(storeDriver({ ...settings, url: 'postgres://cfg/y' }, { DATABASE_URL: 'postgres://db/x' }).url, 'postgres://cfg/y');
    assert.equal(storeDriver({ ...settings, driver: 'memory' }, { DATABASE_URL: 'postgres://db/x' }).driver, 'memory');
    assert.throws(() => storeDriver({ ...settings, driver: 'postgres' }, {}), /DATABASE_URL/);
  });

  test('an unsafe schema name or short pepper is rejected by the config schema', () => {
    assert.throws(() => parseConfig({ providers: {}, models: {}, store: { schema: 'Bad-Name' } }, {}, 'test'), /store\.schema/);
    assert.throws(() => parseConfig({ providers: {}, models: {}, auth: { key_pepper: 'short' } }, {}, 'test'), /auth\.key_pepper/);
  });
});

describe('migrations', () => {
  test('name no schema, so the same files run in any schema (search_path)', () => {
    const files = readdirSync(migrationsFolder).filter((name) => name.endsWith('.sql'));
    assert.ok(files.length >= 2, 'migration files exist');
    for (const file of files) assert.doesNotMatch(readFileSync(join(migrationsFolder, file), 'utf8'), /"public"\./, file);
  });
});
