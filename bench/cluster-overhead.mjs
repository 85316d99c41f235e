#!/usr/bin/env node
// Unloaded added latency of full-cluster over full-embedded, measured in one run (bench/RESULTS.md, "Cluster
// overhead"). Starts the gwbench mock, one gateway with bench/configs/full-embedded.yaml and one with
// full-cluster.yaml (both with a fresh bench key, as bench/provision.mjs makes them), then sends sequential
// non-stream chat requests one at a time, rotating direct → embedded → cluster (the order shifts every round),
// and prints p50/p99 of each and the added latency (gateway − direct). Then counts the Redis commands the
// cluster gateway sends per request (MONITOR, only that gateway's connections).
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379 \
//     node bench/cluster-overhead.mjs [--rounds 3000] [--warmup 300] [--cpu N]
//
// Needs `npm run build` first. Ports: mock 9310, embedded 8431, cluster 8432 (CO_PORT_BASE shifts them).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createBenchKey, startGateway, waitReady } from './provision.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const opt = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const rounds = opt('rounds', 3000);
const warmup = opt('warmup', 300);
const cpu = process.argv.includes('--cpu') ? opt('cpu', 0) : undefined;
const portBase = Number(process.env.CO_PORT_BASE ?? 0);
const mockPort = 9310 + portBase;
const ports = { embedded: 8431 + portBase, cluster: 8432 + portBase };
process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/test';
process.env.REDIS_URL ??= 'redis://127.0.0.1:6379';
const prefix = process.env.BENCH_REDIS_PREFIX ?? 'sy:bench:';
const log = (message) => process.stderr.write(`[cluster-overhead] ${message}\n`);

const body = Buffer.from(JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: 'Write one short sentence about API gateways.' }],
  max_tokens: 64,
  temperature: 0,
}));

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function once(port, pathname, headers) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request({ host: '127.0.0.1', port, path: pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length, ...headers } }, (res) => {
      res.on('data', () => {});
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode} from :${port}`));
        else resolve(Number(process.hrtime.bigint() - t0) / 1e6);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

const children = [];
async function main() {
  const mock = spawn(process.execPath, [path.join(root, '../shared/gwbench/mock-upstream.mjs'), `--port=${mockPort}`], { env: { ...process.env, MOCK_QUIET: '1' }, stdio: 'ignore' });
  children.push({ stop: async () => mock.kill() });
  const clusterUrl = execFileSync(process.execPath, [path.join(root, 'bench/provision.mjs'), 'cluster-store'], { env: process.env, stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sy-co-'));
  children.push({ stop: async () => rmSync(dataDir, { recursive: true, force: true }) });
  const env = { MOCK_URL: `http://127.0.0.1:${mockPort}/v1` };
  const gateways = {
    embedded: { config: 'bench/configs/full-embedded.yaml', env: { ...env, BENCH_DATA_DIR: dataDir } },
    cluster: { config: 'bench/configs/full-cluster.yaml', env: { ...env, DATABASE_URL: clusterUrl } },
  };
  const keys = {};
  for (const [name, spec] of Object.entries(gateways)) {
    const logFile = path.join(os.tmpdir(), `sy-co-${name}.log`);
    const gateway = startGateway({ config: path.join(root, spec.config), port: ports[name], env: spec.env, logFile, cpu });
    children.unshift(gateway);
    await waitReady(`http://127.0.0.1:${ports[name]}`, gateway, logFile);
    keys[name] = await createBenchKey(`http://127.0.0.1:${ports[name]}`);
    log(`${name} ready on :${ports[name]} (log ${logFile})`);
  }
  const targets = [
    { name: 'direct', port: mockPort, path: '/v1/chat/completions', headers: { authorization: 'Bearer sk-gwbench-upstream' } },
    { name: 'embedded', port: ports.embedded, path: '/v1/chat/completions', headers: { authorization: `Bearer ${keys.embedded}` } },
    { name: 'cluster', port: ports.cluster, path: '/v1/chat/completions', headers: { authorization: `Bearer ${keys.cluster}` } },
  ];
  for (let i = 0; i < warmup; i++) for (const t of targets) await once(t.port, t.path, t.headers);
  const times = Object.fromEntries(targets.map((t) => [t.name, []]));
  const added = { embedded: [], cluster: [] };
  for (let round = 0; round < rounds; round++) {
    const got = {};
    for (let j = 0; j < targets.length; j++) {
      const t = targets[(round + j) % targets.length];
      got[t.name] = await once(t.port, t.path, t.headers);
      times[t.name].push(got[t.name]);
    }
    added.embedded.push(got.embedded - got.direct);
    added.cluster.push(got.cluster - got.direct);
  }
  const row = (name, values) => {
    const s = Float64Array.from(values).sort();
    return `| ${name} | ${pct(s, 50).toFixed(3)} | ${pct(s, 90).toFixed(3)} | ${pct(s, 99).toFixed(3)} |`;
  };
  const diff = (a, b) => a.map((v, i) => v - b[i]);
  const lines = [
    `rounds ${rounds} (warm-up ${warmup}), sequential, rotating order; ms`,
    '',
    '| what | p50 | p90 | p99 |',
    '|---|---:|---:|---:|',
    row('direct total', times.direct),
    row('embedded total', times.embedded),
    row('cluster total', times.cluster),
    row('embedded added (− direct, same round)', added.embedded),
    row('cluster added (− direct, same round)', added.cluster),
    row('cluster − embedded (same round)', diff(times.cluster, times.embedded)),
  ];

  // Redis commands per cluster request: MONITOR, counting only the connections that touch the bench prefix.
  const monitorClient = new Redis(process.env.REDIS_URL);
  const monitor = await monitorClient.monitor();
  const bySource = new Map();
  const benchSources = new Set();
  monitor.on('monitor', (_time, args, source) => {
    const list = bySource.get(source) ?? [];
    list.push(String(args[0]).toLowerCase());
    bySource.set(source, list);
    // Commands a Lua script runs show up with the source "lua": not round trips.
    if (source !== 'lua' && args.some((a) => String(a).startsWith(prefix))) benchSources.add(source);
  });
  await sleep(200);
  bySource.clear();
  benchSources.clear();
  const sample = 200;
  for (let i = 0; i < sample; i++) await once(targets[2].port, targets[2].path, targets[2].headers);
  await sleep(500);
  monitor.disconnect();
  monitorClient.disconnect();
  const counts = {};
  let total = 0;
  for (const source of benchSources) {
    for (const command of bySource.get(source) ?? []) {
      counts[command] = (counts[command] ?? 0) + 1;
      total += 1;
    }
  }
  const perRequest = Object.entries(counts).map(([command, n]) => `${command} ${(n / sample).toFixed(2)}`).join(', ');
  lines.push('', `Redis commands per cluster request (${sample} requests, MONITOR, ${benchSources.size} connections): ${(total / sample).toFixed(2)} (${perRequest})`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

try {
  await main();
} catch (error) {
  log(`ERROR: ${error.stack ?? error.message}`);
  process.exitCode = 1;
} finally {
  agent.destroy();
  for (const child of children) await child.stop();
}
