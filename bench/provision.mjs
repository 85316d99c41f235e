#!/usr/bin/env node
// Set-up steps for the bench sittings (bench/sitting.sh, bench/soak.sh). Logs go to stderr; the one result to stdout.
//
//   node bench/provision.mjs cluster-store
//       Makes the full-cluster config's state fresh: creates the database named by BENCH_PG_DATABASE (default
//       switchyard_bench) on the server of DATABASE_URL if the role may (else keeps DATABASE_URL's own database),
//       drops the schema BENCH_PG_SCHEMA (default switchyard_bench) there, and deletes the Redis keys under
//       BENCH_REDIS_PREFIX (default sy:bench:) at REDIS_URL. Prints the DATABASE_URL the gateway should use.
//
//   node bench/provision.mjs key --config FILE --port N [--log FILE]
//       Starts `node dist/main.js` with that config (env as for the measured run; MOCK_URL need not answer),
//       waits for /readyz, creates tenant "bench" and one virtual key through the admin API (master key
//       BENCH_MASTER_KEY, default the configs' sk-bench-master-key-0000), both with rate limits and a budget far
//       above anything a run reaches, stops the gateway (SIGTERM, SIGKILL after 10 s) and prints the key's secret.
//       With a persistent store (PGlite data dir, PostgreSQL) the key is there when gwbench starts the gateway
//       again. bench/soak.mjs imports startGateway / waitReady / createBenchKey from here.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { URL, fileURLToPath } from 'node:url';
import { request as undiciRequest } from 'undici';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const log = (message) => process.stderr.write(`[provision] ${message}\n`);

/** Limits and budget for the bench tenant and key: checked and charged on every request, never reached. */
export const BENCH_LIMITS = { requests_per_minute: 100_000_000, tokens_per_minute: 10_000_000_000, concurrent_requests: 100_000 };
export const BENCH_BUDGET = { amount_usd: 1_000_000, period: 'day', on_exhausted: 'block' };

function args(argv) {
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) out._.push(a);
    else out[a.slice(2)] = argv[++i];
  }
  return out;
}

async function clusterStore() {
  const { default: pg } = await import('pg');
  const { Redis } = await import('ioredis');
  const base = process.env.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL;
  if (!base) throw new Error('DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test)');
  if (!redisUrl) throw new Error('REDIS_URL is not set (e.g. redis://127.0.0.1:6379)');
  const database = process.env.BENCH_PG_DATABASE ?? 'switchyard_bench';
  const schema = process.env.BENCH_PG_SCHEMA ?? 'switchyard_bench';
  const prefix = process.env.BENCH_REDIS_PREFIX ?? 'sy:bench:';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(database) || !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error('BENCH_PG_DATABASE / BENCH_PG_SCHEMA must be lower-case SQL identifiers');
  if (prefix.length < 3) throw new Error(`BENCH_REDIS_PREFIX "${prefix}" is too short to delete keys under safely`);

  let url = base;
  const admin = new pg.Client({ connectionString: base, connectionTimeoutMillis: 5000 });
  await admin.connect().catch((error) => { throw new Error(`PostgreSQL at ${base} is not reachable: ${error.message}`); });
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) {
      try {
        await admin.query(`CREATE DATABASE ${database}`);
        log(`created database ${database}`);
      } catch (error) {
        log(`cannot create database ${database} (${error.message}); using ${new URL(base).pathname.slice(1)} with schema ${schema}`);
      }
    }
    const again = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (again.rowCount === 1) {
      const u = new URL(base);
      u.pathname = `/${database}`;
      url = u.toString();
    }
  } finally {
    await admin.end();
  }
  const db = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await db.connect();
  try {
    await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    log(`dropped schema ${schema} in ${new URL(url).pathname.slice(1)} (the gateway recreates it and migrates)`);
  } finally {
    await db.end();
  }

  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5000 });
  await redis.connect().catch((error) => { throw new Error(`Redis at ${redisUrl} is not reachable: ${error.message}`); });
  try {
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
    log(`deleted ${deleted} Redis keys under ${prefix}`);
  } finally {
    redis.disconnect();
  }
  process.stdout.write(`${url}\n`);
}

async function request(method, url, { key, body } = {}) {
  const response = await undiciRequest(url, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    headersTimeout: 15_000,
    bodyTimeout: 15_000,
  });
  const text = await response.body.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: response.statusCode, json, text };
}

/**
 * Starts `node dist/main.js` with a bench config (own process group; output to logFile), optionally pinned to one
 * CPU with taskset. Returns { pid, exited(), stop() }; stop() sends SIGTERM to the group, SIGKILL after 10 s.
 */
export function startGateway({ config, port, env = {}, logFile, cpu }) {
  const fullEnv = { ...process.env, ...env, SWITCHYARD_CONFIG: path.resolve(config), PORT: String(port), NODE_ENV: 'production' };
  fullEnv.MOCK_URL ??= 'http://127.0.0.1:9/v1'; // only needed for requests; provisioning sends none upstream
  const out = logFile ? openSync(logFile, 'a') : 'ignore';
  const [bin, argv] = cpu === undefined ? [process.execPath, ['dist/main.js']] : ['taskset', ['-c', String(cpu), process.execPath, 'dist/main.js']];
  const child = spawn(bin, argv, { cwd: root, env: fullEnv, stdio: ['ignore', out, out], detached: true });
  if (typeof out === 'number') closeSync(out);
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  const signalGroup = (signal) => { try { process.kill(-child.pid, signal); } catch { /* gone */ } };
  return {
    pid: child.pid,
    exited: () => exited,
    async stop() {
      if (exited) return exited;
      signalGroup('SIGTERM');
      for (let i = 0; i < 100 && !exited; i++) await sleep(100);
      if (!exited) { log(`gateway ${child.pid} did not stop in 10 s: SIGKILL`); signalGroup('SIGKILL'); }
      for (let i = 0; i < 30 && !exited; i++) await sleep(100);
      return exited;
    },
  };
}

/** Waits until GET /readyz answers 200 (60 s at most), failing early when the process exits. */
export async function waitReady(base, gateway, logFile) {
  const deadline = Date.now() + 60_000;
  const see = logFile ? `; see ${logFile}` : '';
  for (;;) {
    const exited = gateway.exited();
    if (exited) throw new Error(`gateway exited (${exited.code ?? exited.signal}) before it was ready${see}`);
    if (Date.now() > deadline) throw new Error(`gateway not ready on ${base}/readyz after 60 s${see}`);
    try {
      if ((await request('GET', `${base}/readyz`)).status === 200) return;
    } catch { /* not listening yet */ }
    await sleep(200);
  }
}

/** Creates (or updates) tenant "bench" and a new key of it through the admin API; returns the key's secret. */
export async function createBenchKey(base, master = process.env.BENCH_MASTER_KEY ?? 'sk-bench-master-key-0000') {
  const tenant = await request('POST', `${base}/admin/tenants`, {
    key: master,
    body: { id: 'bench', name: 'gwbench tenant', limits: BENCH_LIMITS, budget: BENCH_BUDGET },
  });
  if (tenant.status !== 201 && tenant.status !== 409) throw new Error(`POST /admin/tenants: HTTP ${tenant.status} ${tenant.text.slice(0, 300)}`);
  if (tenant.status === 409) {
    const patched = await request('PATCH', `${base}/admin/tenants/bench`, { key: master, body: { limits: BENCH_LIMITS, budget: BENCH_BUDGET } });
    if (patched.status !== 200) throw new Error(`PATCH /admin/tenants/bench: HTTP ${patched.status} ${patched.text.slice(0, 300)}`);
  }
  const key = await request('POST', `${base}/admin/tenants/bench/keys`, {
    key: master,
    body: { name: `gwbench ${new Date().toISOString()}`, limits: BENCH_LIMITS, budget: BENCH_BUDGET },
  });
  if (key.status !== 201 || typeof key.json?.secret !== 'string') throw new Error(`POST /admin/tenants/bench/keys: HTTP ${key.status} ${key.text.slice(0, 300)}`);
  log(`tenant bench ${tenant.status === 201 ? 'created' : 'updated'}, key ${key.json.id} (${key.json.key_prefix}…) with limits ${JSON.stringify(BENCH_LIMITS)} and budget ${JSON.stringify(BENCH_BUDGET)}`);
  // The key must work before anyone relies on it.
  const models = await request('GET', `${base}/v1/models`, { key: key.json.secret });
  if (models.status !== 200) throw new Error(`GET /v1/models with the new key: HTTP ${models.status} ${models.text.slice(0, 300)}`);
  return key.json.secret;
}

async function provisionKey(opts) {
  if (!opts.config || !opts.port) throw new Error('usage: provision.mjs key --config FILE --port N [--log FILE]');
  const base = `http://127.0.0.1:${opts.port}`;
  const gateway = startGateway({ config: opts.config, port: opts.port, logFile: opts.log });
  const onSignal = () => { void gateway.stop().then(() => process.exit(130)); };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await waitReady(base, gateway, opts.log);
    log(`gateway pid ${gateway.pid} ready on ${base}`);
    const secret = await createBenchKey(base);
    const exited = await gateway.stop();
    log(`gateway stopped (${exited?.code ?? exited?.signal})`);
    process.stdout.write(`${secret}\n`);
  } finally {
    await gateway.stop();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const opts = args(process.argv.slice(2));
  try {
    if (opts._[0] === 'cluster-store') await clusterStore();
    else if (opts._[0] === 'key') await provisionKey(opts);
    else throw new Error('usage: provision.mjs cluster-store | key --config FILE --port N [--log FILE]');
  } catch (error) {
    log(`ERROR: ${error.message}`);
    process.exit(1);
  }
}
