// The request log store's whole write path on the embedded store, as the gateway runs it: SqlRequestLogStore on
// PGlite in its worker thread behind the socket (bench/RESULTS.md, "Request log insert"). Process CPU (main
// thread + PGlite worker, process.cpuUsage) per row over `batches` appends of `batchSize` records, file data dir.
//   node bench/reqlog-store.mjs <dist dir, e.g. dist or .bench-out/refdist> [batches] [batchSize]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const [distArg = 'dist', batchesArg = '100', sizeArg = '200'] = process.argv.slice(2);
const dist = pathToFileURL(resolve(distArg)).href;
const { openEmbeddedStores } = await import(`${dist}/stores/open.js`);
const { newLogId } = await import(`${dist}/stores/request-log.js`);
const batches = Number(batchesArg);
const size = Number(sizeArg);
const dir = mkdtempSync(join(tmpdir(), 'reqlog-store-'));
const quiet = { info() {}, warn() {}, error() {} };
const stores = await openEmbeddedStores(join(dir, 'pglite'), 'bench-pepper-not-a-secret-0000', quiet);

const record = () => ({
  id: newLogId(), requestId: `req_${Math.random().toString(36).slice(2, 14)}`, time: new Date(), tenantId: 'bench',
  keyId: 'key_0mx302fb20000CdpDU0bjXo', endpoint: 'chat', requestedModel: 'gpt-4o-mini', model: 'gpt-4o-mini', provider: 'mock',
  status: 200, errorCode: null, attempts: 1, latencyMs: performance.now() % 7, ttftMs: null, inputTokens: 12, outputTokens: 34,
  costUsd: 0.0000222, cache: 'miss', degraded: false, trimmedMessages: null, requestBody: null, responseBody: null,
});
for (let i = 0; i < 10; i++) await stores.requestLog.append(Array.from({ length: size }, record));
const data = Array.from({ length: batches }, () => Array.from({ length: size }, record));
const start = process.cpuUsage();
const t0 = performance.now();
for (const rows of data) await stores.requestLog.append(rows);
const cpu = process.cpuUsage(start);
const rows = batches * size;
console.log(
  `${distArg} batch=${size}: ${((cpu.user + cpu.system) / rows).toFixed(1)} µs CPU/row (main + worker), wall ${((1000 * (performance.now() - t0)) / rows).toFixed(1)} µs/row`,
);
await stores.close();
rmSync(dir, { recursive: true, force: true });
