// Standalone cost of the request log's batched insert on PGlite (bench/RESULTS.md, "Request log insert"): the real
// migrations, realistic 200-row batches, CPU µs per row (process.cpuUsage around the inserts only; PGlite runs on
// this thread). Usage: node bench/reqlog-insert.mjs <variant> [batches] [batchSize]
//   variants: json (the store's INSERT … json_to_recordset), json-noidx-time, json-noidx-tenant, json-pk-only,
//             copy (COPY FROM '/dev/blob' csv straight in), copy-stage (COPY into a temp table + INSERT … ON CONFLICT),
//             arrays (INSERT … SELECT FROM unnest of column arrays)
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Blob } from 'node:buffer';
import { URL } from 'node:url';
import { PGlite } from '@electric-sql/pglite';

const [variant = 'json', batchesArg = '50', sizeArg = '200'] = process.argv.slice(2);
const batches = Number(batchesArg), size = Number(sizeArg);
const extra = (process.env.PG_SETTINGS ?? '').split(/\s+/).filter(Boolean).flatMap((s) => ['-c', s]);
const dir = mkdtempSync(join(tmpdir(), 'reqlog-bench-'));
const db = await PGlite.create(dir, { startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB', ...extra] });
const migrations = new URL('../src/stores/sql/migrations/', import.meta.url);
for (const file of readdirSync(migrations).filter((f) => f.endsWith('.sql')).sort()) {
  for (const statement of readFileSync(new URL(file, migrations), 'utf8').split('--> statement-breakpoint')) await db.exec(statement);
}
if (variant === 'json-noidx-time' || variant.endsWith('pk-only')) await db.exec('drop index request_log_time_idx');
if (variant === 'json-noidx-tenant' || variant.endsWith('pk-only')) await db.exec('drop index request_log_tenant_id_idx');
if (process.env.FILLFACTOR) await db.exec(`alter table request_log set (fillfactor = ${process.env.FILLFACTOR})`);

const cols = [
  ['id', 'id', 'text'], ['requestId', 'request_id', 'text'], ['time', 'time', 'timestamptz'], ['tenantId', 'tenant_id', 'text'],
  ['keyId', 'key_id', 'text'], ['endpoint', 'endpoint', 'text'], ['requestedModel', 'requested_model', 'text'], ['model', 'model', 'text'],
  ['provider', 'provider', 'text'], ['status', 'status', 'integer'], ['errorCode', 'error_code', 'text'], ['attempts', 'attempts', 'integer'],
  ['latencyMs', 'latency_ms', 'double precision'], ['ttftMs', 'ttft_ms', 'double precision'], ['inputTokens', 'input_tokens', 'integer'],
  ['outputTokens', 'output_tokens', 'integer'], ['costUsd', 'cost_usd', 'double precision'], ['cache', 'cache', 'text'],
  ['degraded', 'degraded', 'boolean'], ['trimmedMessages', 'trimmed_messages', 'integer'], ['requestBody', 'request_body', 'text'],
  ['responseBody', 'response_body', 'text'],
];
const colList = cols.map(([, c]) => `"${c}"`).join(', ');
const jsonSql = `insert into request_log (${colList}) select ${cols.map(([k]) => `"${k}"`).join(', ')} from json_to_recordset($1::json) as r(${cols.map(([k, , t]) => `"${k}" ${t}`).join(', ')}) on conflict ("id") do nothing`;
const arraySql = `insert into request_log (${colList}) select * from unnest(${cols.map(([, , t], i) => `$${i + 1}::${t}[]`).join(', ')}) on conflict ("id") do nothing`;

const shortKeys = cols.map((_, i) => String.fromCharCode(97 + i));
const shortSql = `insert into request_log (${colList}) select ${shortKeys.map((k) => `"${k}"`).join(', ')} from json_to_recordset($1::json) as r(${cols.map(([, , t], i) => `"${shortKeys[i]}" ${t}`).join(', ')}) on conflict ("id") do nothing`;
const shortJson = (rows) => {
  let out = '[';
  for (let r = 0; r < rows.length; r++) {
    const o = {};
    for (let i = 0; i < cols.length; i++) { const v = rows[r][cols[i][0]]; if (v !== null) o[shortKeys[i]] = v; }
    out += (r ? ',' : '') + JSON.stringify(o);
  }
  return out + ']';
};
// Fields split on \x1f, records on \x1e; \x01 marks null.
const splitSql = `insert into request_log (${colList}) select ${cols.map(([, , t], i) => `f[${i + 1}]::${t}`).join(', ')} from (select string_to_array(line, E'\\x1f', E'\\x01') as f from string_to_table($1, E'\\x1e') as line) as r on conflict ("id") do nothing`;
const splitValue = (v) => (v === null ? '\x01' : v instanceof Date ? v.toISOString() : String(v));
const splitText = (rows) => rows.map((r) => cols.map(([k]) => splitValue(r[k])).join('\x1f')).join('\x1e');
let seq = 0;
const record = () => {
  seq++;
  return {
    id: `log_${Date.now().toString(36).padStart(9, '0')}${seq.toString(36).padStart(6, '0')}abcdefgh`, requestId: `req_${seq}x9f8a7b6c5d4e3f2a1`,
    time: new Date(), tenantId: 'bench', keyId: 'key_0123456789abcdef', endpoint: 'chat', requestedModel: 'gpt-4o-mini', model: 'gpt-4o-mini',
    provider: 'mock', status: 200, errorCode: null, attempts: 1, latencyMs: 1.2345678 + seq / 1e6, ttftMs: null, inputTokens: 12, outputTokens: 34,
    costUsd: 0.0000222, cache: 'miss', degraded: false, trimmedMessages: null, requestBody: null, responseBody: null,
  };
};
const csvValue = (v) => (v === null ? '' : v instanceof Date ? v.toISOString() : typeof v === 'string' ? `"${v.replaceAll('"', '""')}"` : String(v));
const toCsv = (rows) => rows.map((r) => cols.map(([k]) => csvValue(r[k])).join(',')).join('\n') + '\n';
if (variant === 'copy-stage') await db.exec(`create temp table request_log_stage (like request_log) on commit delete rows`);

async function write(rows) {
  if (variant === 'json-noconflict') return db.query(jsonSql.replace(' on conflict ("id") do nothing', ''), [JSON.stringify(rows)]);
  if (variant === 'json-parse-only') return db.query(jsonSql.replace(/^insert into request_log \([^)]*\) select .*? from/, 'select count(*) from').replace(' on conflict ("id") do nothing', ''), [JSON.stringify(rows)]);
  if (variant === 'jsonb') return db.query(jsonSql.replace('json_to_recordset($1::json)', 'jsonb_to_recordset($1::jsonb)'), [JSON.stringify(rows)]);
  if (variant === 'json-short') return db.query(shortSql, [shortJson(rows)]);
  if (variant === 'split') return db.query(splitSql, [splitText(rows)]);
  if (variant.startsWith('json')) return db.query(jsonSql, [JSON.stringify(rows)]);
  if (variant === 'arrays') return db.query(arraySql, cols.map(([k]) => rows.map((r) => r[k])));
  const blob = new Blob([toCsv(rows)]);
  if (variant === 'copy' || variant === 'copy-pk-only') return db.query(`copy request_log (${colList}) from '/dev/blob' with (format csv)`, [], { blob });
  if (variant === 'copy-stage') {
    return db.transaction(async (tx) => {
      await tx.query(`copy request_log_stage (${colList}) from '/dev/blob' with (format csv)`, [], { blob });
      await tx.query(`insert into request_log select * from request_log_stage on conflict (id) do nothing`);
    });
  }
  throw new Error(`unknown variant ${variant}`);
}
const warm = Math.max(5, Math.floor(batches / 5));
for (let i = 0; i < warm; i++) await write(Array.from({ length: size }, record));
const data = Array.from({ length: batches }, () => Array.from({ length: size }, record));
const start = process.cpuUsage();
const t0 = performance.now();
for (const rows of data) await write(rows);
const cpu = process.cpuUsage(start);
const wall = performance.now() - t0;
const { rows: [{ n }] } = await db.query('select count(*)::int as n from request_log');
console.log(`${variant.padEnd(18)} ${process.env.PG_SETTINGS ?? ''} ff=${process.env.FILLFACTOR ?? '-'} batch=${size}: ${((cpu.user + cpu.system) / (batches * size)).toFixed(1)} µs CPU/row (user ${(cpu.user / (batches * size)).toFixed(1)}, sys ${(cpu.system / (batches * size)).toFixed(1)}), wall ${((wall * 1000) / (batches * size)).toFixed(1)} µs/row, rows ${n}`);
await db.close();
rmSync(dir, { recursive: true, force: true });
