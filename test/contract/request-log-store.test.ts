/**
 * One contract for RequestLogStore on every implementation: memory, PGlite (in memory, in its worker) and
 * PostgreSQL (own schema). Batches, idempotent retries, newest-first keyset pages, filters, tenant scope, retention.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type RequestLogStore } from '../../src/stores/request-log.js';
import { StoreError, type Stores } from '../../src/stores/types.js';
import { describePostgres, testSchema } from '../helpers/postgres.js';
import { logRecord } from '../helpers/request-log-record.js';
import { openMemory, openPGliteInMemory, openPostgres } from '../helpers/stores.js';

let tenantCounter = 0;
/** A tenant id no other test (or rerun on the shared Postgres schema) uses. */
const freshTenant = () => `t${process.pid}-${Date.now()}-${++tenantCounter}`;

const record = logRecord;

function logContract(open: () => Promise<Stores>, cleanup: () => Promise<void> = async () => undefined): void {
  let stores: Stores;
  let log: RequestLogStore;

  before(async () => {
    stores = await open();
    log = stores.requestLog;
  });
  after(async () => {
    await stores?.close();
    await cleanup();
  });

  test('a batch is stored whole and read back field for field, newest first', async () => {
    const tenantId = freshTenant();
    const batch = [
      record({ tenantId, keyId: 'key_a', status: 200 }),
      record({ tenantId, keyId: 'key_a', status: 429, errorCode: 'rate_limited', model: null, provider: null, ttftMs: null, costUsd: null }),
      record({ tenantId, keyId: 'key_b', requestBody: '{"model":"fast"}', responseBody: '{"id":"x"}', trimmedMessages: 3, degraded: true }),
    ];
    await log.append(batch);
    const found = await log.list({ scope: { tenantId } });
    assert.deepEqual(found, [...batch].reverse());
  });

  test('appending the same batch twice stores it once (a retried flush is not doubled)', async () => {
    const tenantId = freshTenant();
    const batch = [record({ tenantId }), record({ tenantId })];
    await log.append(batch);
    await log.append(batch);
    assert.equal((await log.list({ scope: { tenantId } })).length, 2);
  });

  test('values JSON cannot carry (NaN, Infinity, a lone surrogate, quotes and escapes) are stored all the same', async () => {
    const tenantId = freshTenant();
    const odd = record({ tenantId, latencyMs: Number.NaN, ttftMs: Number.POSITIVE_INFINITY });
    const surrogate = record({ tenantId, requestedModel: 'bad\ud800model' });
    const quoted = record({ tenantId, requestBody: '{"a":"\\u0041 \\"q\\" \n\t é 😀"}', errorCode: "it's" });
    await log.append([odd]);
    await log.append([surrogate, quoted]);
    const found = new Map((await log.list({ scope: { tenantId } })).map((r) => [r.id, r]));
    assert.ok(Number.isNaN(found.get(odd.id)?.latencyMs));
    assert.equal(found.get(odd.id)?.ttftMs, Number.POSITIVE_INFINITY);
    // PostgreSQL stores the lone surrogate as U+FFFD (pg encodes it as UTF-8 so); memory keeps it.
    assert.ok(['bad\ud800model', 'bad\ufffdmodel'].includes(found.get(surrogate.id)?.requestedModel ?? ''));
    assert.deepEqual(found.get(quoted.id), quoted);
  });

  test('an empty batch is a no-op', async () => {
    await log.append([]);
  });

  test('pages run newest first with limit and after, without gaps or repeats', async () => {
    const tenantId = freshTenant();
    const batch = Array.from({ length: 7 }, () => record({ tenantId }));
    await log.append(batch);
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await log.list({ scope: { tenantId }, limit: 3, after });
      seen.push(...page.map((entry) => entry.id));
      if (page.length < 3) break;
      after = page.at(-1)!.id;
    }
    assert.deepEqual(seen, batch.map((entry) => entry.id).reverse());
  });

  test('filters by model (requested or served), status range and time range', async () => {
    const tenantId = freshTenant();
    const base = Date.now() - 60_000;
    const at = (offset: number) => new Date(base + offset);
    const a = record({ tenantId, requestedModel: 'fast', model: 'sim-small', status: 200, time: at(0) });
    const b = record({ tenantId, requestedModel: 'smart', model: 'sim-large', status: 429, time: at(1000) });
    const c = record({ tenantId, requestedModel: 'sim-large', model: null, status: 503, time: at(2000) });
    await log.append([a, b, c]);
    const ids = async (query: Omit<Parameters<RequestLogStore['list']>[0], 'scope'>) =>
      (await log.list({ scope: { tenantId }, ...query })).map((entry) => entry.id);
    assert.deepEqual(await ids({ model: 'sim-large' }), [c.id, b.id]);
    assert.deepEqual(await ids({ model: 'fast' }), [a.id]);
    assert.deepEqual(await ids({ statusFrom: 400, statusTo: 499 }), [b.id]);
    assert.deepEqual(await ids({ statusFrom: 500, statusTo: 599 }), [c.id]);
    assert.deepEqual(await ids({ from: at(1000) }), [c.id, b.id]);
    assert.deepEqual(await ids({ to: at(1000) }), [a.id]);
    assert.deepEqual(await ids({ from: at(500), to: at(1500), model: 'smart' }), [b.id]);
  });

  test('a tenant sees only its own records; the all scope sees every tenant and tenant-less ones', async () => {
    const mine = freshTenant();
    const theirs = freshTenant();
    const own = record({ tenantId: mine });
    const other = record({ tenantId: theirs });
    const master = record({ tenantId: null });
    await log.append([own, other, master]);
    assert.deepEqual((await log.list({ scope: { tenantId: mine } })).map((entry) => entry.id), [own.id]);
    const all = (await log.list({ scope: { all: true }, limit: 1000 })).map((entry) => entry.id);
    for (const entry of [own, other, master]) assert.ok(all.includes(entry.id), `the all scope lists ${entry.id}`);
  });

  test('a query without a scope, or with a bad limit, is refused', async () => {
    await assert.rejects(
      log.list({ scope: {} as { tenantId: string } }),
      (error: unknown) => error instanceof StoreError && error.code === 'invalid',
    );
    await assert.rejects(
      log.list({ scope: { all: true }, limit: 0 }),
      (error: unknown) => error instanceof StoreError && error.code === 'invalid',
    );
  });

  test('deleteOlderThan removes old records in bounded chunks and keeps newer ones', async () => {
    const tenantId = freshTenant();
    const old = Array.from({ length: 5 }, (_, index) => record({ tenantId, time: new Date(Date.UTC(2001, 0, 1, 0, index)) }));
    const fresh = record({ tenantId });
    await log.append([...old, fresh]);
    const cutoff = new Date(Date.UTC(2002, 0, 1));
    let removed = 0;
    for (;;) {
      const chunk = await log.deleteOlderThan(cutoff, 2);
      assert.ok(chunk <= 2, `a chunk deletes at most the limit, deleted ${chunk}`);
      removed += chunk;
      if (chunk === 0) break;
    }
    assert.ok(removed >= 5, `the five old records went, removed ${removed}`);
    assert.deepEqual((await log.list({ scope: { tenantId } })).map((entry) => entry.id), [fresh.id]);
  });
}

describe('memory request log', () => logContract(openMemory));

describe('PGlite request log (in memory, worker thread)', () => logContract(openPGliteInMemory));

const schema = testSchema();
describePostgres('PostgreSQL request log', () => logContract(() => openPostgres(schema.name), () => schema.drop()));
