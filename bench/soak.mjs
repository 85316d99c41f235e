// Memory soak (run by bench/soak.sh): Switchyard with a bench config at a fixed request rate for a long time,
// gateway RSS (process tree, as gwbench measures it) sampled at a fixed interval into a CSV, then the curve and
// its slope. A gateway that leaks shows a positive slope after the warm-up; a healthy one levels off.
//   node bench/soak.mjs --gwbench DIR --out DIR [--config bench/configs/full-embedded.yaml]
// Env: SOAK_DURATION (s, default 600), SOAK_RATE (requests/s, 500), SOAK_INTERVAL (s between samples, 10),
//      SOAK_CONNECTIONS (16), SOAK_MODE (mixed: non-stream and stream requests alternate | nonstream | stream),
//      BENCH_PORT (gateway, 8420). Pinned like gwbench --pin when there are 2 CPUs or more: the gateway on CPU1,
//      mock upstream and load generator on CPU0.
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { clearInterval, setInterval } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { request } from 'undici';
import { createBenchKey, startGateway, waitReady } from './provision.mjs';

const log = (message) => process.stderr.write(`[soak] ${message}\n`);
const opts = {};
for (let i = 2; i < process.argv.length; i += 2) opts[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
if (!opts.gwbench || !opts.out) throw new Error('usage: soak.mjs --gwbench DIR --out DIR [--config FILE]');
const config = opts.config ?? 'bench/configs/full-embedded.yaml';
const durationS = Number(process.env.SOAK_DURATION ?? 600);
const rate = Number(process.env.SOAK_RATE ?? 500);
const intervalS = Number(process.env.SOAK_INTERVAL ?? 10);
const connections = Number(process.env.SOAK_CONNECTIONS ?? 16);
const mode = process.env.SOAK_MODE ?? 'mixed';
const port = Number(process.env.BENCH_PORT ?? 8420);
if (!['mixed', 'nonstream', 'stream'].includes(mode)) throw new Error(`SOAK_MODE must be mixed, nonstream or stream, not ${mode}`);
for (const [name, value] of Object.entries({ SOAK_DURATION: durationS, SOAK_RATE: rate, SOAK_INTERVAL: intervalS, SOAK_CONNECTIONS: connections })) {
  if (!(value > 0)) throw new Error(`${name} must be a positive number`);
}

const { treeMemory, treeCpuSeconds } = await import(pathToFileURL(path.join(opts.gwbench, 'lib/proc.mjs')).href);
const autocannon = createRequire(path.join(path.resolve(opts.gwbench), 'package.json'))('autocannon');

const pinned = os.cpus().length >= 2;
if (pinned) execFileSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' }); // the mock inherits CPU0

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = server.address();
      server.close(() => resolve(free));
    });
    server.on('error', reject);
  });

// --- everything started here is stopped on the way out ---
let mock;
let gateway;
let load;
const stopAll = async () => {
  load?.stop();
  await gateway?.stop();
  if (mock && mock.exitCode === null && mock.signalCode === null) {
    mock.kill('SIGTERM');
    await sleep(200);
  }
};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    log(`${signal}: stopping`);
    void stopAll().then(() => process.exit(130));
  });
}

const csvFile = path.join(opts.out, 'rss.csv');
const samples = [];
try {
  const mockPort = await freePort();
  const mockLog = openSync(path.join(opts.out, 'mock.log'), 'a');
  mock = spawn(process.execPath, [path.join(opts.gwbench, 'mock-upstream.mjs'), `--port=${mockPort}`], {
    env: { ...process.env, MOCK_QUIET: '1' },
    stdio: ['ignore', mockLog, mockLog],
  });
  closeSync(mockLog);
  const mockUrl = `http://127.0.0.1:${mockPort}/v1`;
  for (let i = 0; ; i++) {
    try {
      const health = await request(`http://127.0.0.1:${mockPort}/__mock/health`);
      await health.body.dump();
      if (health.statusCode === 200) break;
    } catch { /* not yet */ }
    if (i > 100 || mock.exitCode !== null) throw new Error(`mock upstream did not start; see ${opts.out}/mock.log`);
    await sleep(100);
  }

  const gatewayLog = path.join(opts.out, 'gateway.log');
  const base = `http://127.0.0.1:${port}`;
  gateway = startGateway({
    config,
    port,
    env: { MOCK_URL: mockUrl, BENCH_DATA_DIR: path.join(opts.out, 'data') },
    logFile: gatewayLog,
    cpu: pinned ? 1 : undefined,
  });
  await waitReady(base, gateway, gatewayLog);
  // The key is only needed when the config has a master key; creating it on an open gateway would fail.
  const secret = /^\s*master_key:/m.test(readFileSync(config, 'utf8')) ? await createBenchKey(base) : undefined;
  log(`gateway pid ${gateway.pid} on ${base}${pinned ? ' (CPU1)' : ''}, mock on ${mockUrl}, config ${config}`);

  const body = (stream) =>
    JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: 'Write one short sentence about API gateways.' }],
      max_tokens: 64,
      temperature: 0,
      ...(stream ? { stream: true } : {}),
    });
  const bodies = mode === 'mixed' ? [body(false), body(true)] : [body(mode === 'stream')];

  writeFileSync(csvFile, 't_s,phase,rss_mb,main_rss_mb,main_hwm_mb,cpu_s,responses,non2xx,errors\n');
  let responses = 0;
  let non2xx = 0;
  let errors = 0;
  const t0 = Date.now();
  const sample = (phase) => {
    const memory = treeMemory(gateway.pid);
    const row = {
      t: (Date.now() - t0) / 1000, phase, rss: memory.rss_mb, main: memory.main_rss_mb, hwm: memory.main_hwm_mb,
      cpu: treeCpuSeconds(gateway.pid), responses, non2xx, errors,
    };
    samples.push(row);
    appendFileSync(csvFile, `${row.t.toFixed(1)},${phase},${row.rss.toFixed(1)},${row.main.toFixed(1)},${row.hwm.toFixed(1)},${row.cpu.toFixed(2)},${responses},${non2xx},${errors}\n`);
    log(`t=${row.t.toFixed(0)}s ${phase} rss ${row.rss.toFixed(1)} MB, ${responses} responses (${non2xx} non-2xx, ${errors} errors)`);
  };
  sample('idle');
  const timer = setInterval(() => sample('load'), intervalS * 1000);
  await new Promise((resolve, reject) => {
    load = autocannon(
      {
        url: `${base}/v1/chat/completions`,
        connections,
        overallRate: rate,
        duration: durationS,
        timeout: 30,
        headers: { 'content-type': 'application/json', ...(secret ? { authorization: `Bearer ${secret}` } : {}) },
        requests: bodies.map((text) => ({ method: 'POST', body: text })),
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    load.on('response', (_client, status) => {
      responses++;
      if (status < 200 || status >= 300) non2xx++;
    });
    load.on('reqError', () => errors++);
  });
  clearInterval(timer);
  if ((Date.now() - t0) / 1000 - samples.at(-1).t > 1) sample('load');
  await sleep(intervalS * 1000);
  sample('after');
} finally {
  await stopAll();
}

// --- the curve and its slope ---
const slope = (points) => {
  if (points.length < 2) return undefined;
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.t, 0) / n;
  const my = points.reduce((s, p) => s + p.rss, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.t - mx) ** 2, 0);
  return sxx === 0 ? undefined : (points.reduce((s, p) => s + (p.t - mx) * (p.rss - my), 0) / sxx) * 60; // MB per minute
};
const loaded = samples.filter((s) => s.phase === 'load');
const secondHalf = loaded.filter((s) => s.t >= durationS / 2);
const low = Math.min(...samples.map((s) => s.rss));
const high = Math.max(...samples.map((s) => s.rss));
const fmtSlope = (value) => (value === undefined ? 'n/a' : `${value >= 0 ? '+' : ''}${value.toFixed(2)} MB/min`);
const last = samples.at(-1);
const lines = [];
lines.push(`Soak: ${config}, ${rate} requests/s (${mode}) for ${durationS} s over ${connections} connections; RSS of the gateway process tree every ${intervalS} s`);
lines.push('');
for (const s of samples) {
  const width = high === low ? 40 : Math.round(((s.rss - low) / (high - low)) * 40);
  lines.push(`${s.t.toFixed(0).padStart(5)} s ${s.phase.padEnd(5)} ${s.rss.toFixed(1).padStart(7)} MB |${'#'.repeat(Math.max(1, width))}`);
}
lines.push('');
lines.push(`RSS: idle ${samples[0].rss.toFixed(1)} MB, min ${low.toFixed(1)}, max ${high.toFixed(1)}, after load ${last.rss.toFixed(1)} MB (peak VmHWM ${Math.max(...samples.map((s) => s.hwm)).toFixed(1)} MB)`);
lines.push(`slope under load: ${fmtSlope(slope(loaded))} overall, ${fmtSlope(slope(secondHalf))} over the second half (after warm-up)`);
const served = last.responses;
const cpu = last.cpu - samples[0].cpu;
lines.push(`requests: ${served} responses (${(served / durationS).toFixed(0)}/s achieved), ${last.non2xx} non-2xx, ${last.errors} errors; gateway CPU ${cpu.toFixed(1)} s (${((cpu * 1000) / Math.max(1, served)).toFixed(3)} ms/request)`);
lines.push(`CSV: ${csvFile}`);
console.log(lines.join('\n'));
if (last.non2xx > 0 || last.errors > 0) process.exitCode = 1;
