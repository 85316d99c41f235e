/**
 * The embedded store writes request log batches with COPY FROM '/dev/blob' (request-log-store.ts): text that
 * COPY must escape comes back as it went in, and a COPY that finds no staged batch (a worker restarted between
 * staging and COPY) neither loses records nor breaks the database: the INSERT path stores them once.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RequestLogRecord } from '../../src/stores/request-log.js';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../src/stores/sql/pglite.js';
import { openSqlStores } from '../../src/stores/sql/index.js';
import { requestLogCopyText } from '../../src/stores/sql/request-log-copy.js';
import type { Stores } from '../../src/stores/types.js';
import { logRecord } from '../helpers/request-log-record.js';
import { openPGliteInMemory, recordingLog, TEST_PEPPER } from '../helpers/stores.js';

const record = (overrides: Partial<RequestLogRecord> = {}) =>
  logRecord({ requestId: 'req-1', tenantId: 'copy-tenant', ttftMs: null, ...overrides });

test('COPY text: tab-separated fields, \\N for null, escapes for backslash, tab, newline and carriage return', () => {
  const time = new Date('2026-11-30T08:00:00.123Z');
  const text = requestLogCopyText([
    record({ id: 'log_a', time, requestBody: 'a\\b\tc\nd\re', costUsd: Number.NaN, ttftMs: Number.NEGATIVE_INFINITY, degraded: true }),
  ]);
  assert.equal(
    text,
    'log_a\treq-1\t2026-11-30T08:00:00.123Z\tcopy-tenant\t\\N\tchat\tfast\tsim-small\tsim\t200\t\\N\t1\t12.5\t-Infinity\t10\t20\tNaN\tmiss\tt\t\\N\ta\\\\b\\tc\\nd\\re\t\\N\n',
  );
  assert.throws(() => requestLogCopyText([record({ time: new Date(Number.NaN) })]), RangeError);
});

let stores: Stores;
before(async () => {
  stores = await openPGliteInMemory();
});
after(() => stores?.close());

test('text COPY must escape, or could mistake for null, is stored as it was', async () => {
  const tenantId = `copy-${process.pid}-${Date.now()}`;
  const odd = record({ tenantId, requestBody: '\\N', responseBody: '', errorCode: 'a\r\nb\\.\tc', requestedModel: '\\.' });
  const plain = record({ tenantId });
  await stores.requestLog.append([odd, plain]);
  assert.deepEqual(await stores.requestLog.list({ scope: { tenantId } }), [plain, odd]);
});

test('a COPY that finds no staged batch stores nothing itself; the INSERT path stores every record once', async () => {
  let embedded: EmbeddedDatabase | undefined;
  let lost: Stores | undefined;
  try {
    embedded = await startEmbeddedDatabase(undefined, recordingLog());
    // Staging "succeeds" but never reaches the worker, as when it restarted between staging and COPY.
    lost = await openSqlStores({
      kind: 'pglite',
      client: embedded.client,
      schema: 'public',
      poolSize: 1,
      pepper: TEST_PEPPER,
      log: recordingLog(),
      blobs: { stage: () => Promise.resolve(), clear: () => undefined },
    });
    const batch = [record(), record(), record()];
    await lost.requestLog.append(batch);
    await lost.requestLog.append(batch);
    assert.deepEqual(await lost.requestLog.list({ scope: { tenantId: 'copy-tenant' } }), [...batch].reverse());
  } finally {
    await lost?.close();
    await embedded?.close();
  }
});
