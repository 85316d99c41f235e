/**
 * The real process (`dist/main.js`, built by `npm test`'s pretest; from source when there is no build) with a
 * config file: edits reload atomically, invalid edits are rejected while the old config keeps serving, SIGHUP
 * reloads, SIGTERM drains and exits 0.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { watchConfig } from '../../src/config/watch.js';
import { GatewayProcess, type ProcessLogLine as LogLine } from '../helpers/gateway-process.js';

const yaml = (models: string[], extra = '') =>
  [
    'server: { port: 0, host: 127.0.0.1 }',
    // Keys in memory: no embedded database in the checkout's ./data, no PGlite start-up in this test's timings.
    'store: { driver: memory }',
    'providers:',
    '  sim: { type: sim, ttft_ms: 0, itl_ms: 0 }',
    'models:',
    ...models.map((name) => `  ${name}: { deployments: [{ provider: sim, model: ${name} }] }`),
    extra,
  ].join('\n');

async function modelIds(url: string): Promise<string[]> {
  const response = await fetch(`${url}/v1/models`);
  assert.equal(response.status, 200);
  return ((await response.json()) as { data: { id: string }[] }).data.map((model) => model.id).sort();
}

const reloaded = (line: LogLine) => line.msg.startsWith('configuration reloaded');
const rejected = (line: LogLine) => line.msg.startsWith('configuration reload rejected');

describe('config reload in the running process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-reload-'));
  let gateway: GatewayProcess;
  let url: string;

  before(async () => {
    mkdirSync(join(dir, 'watched'));
    mkdirSync(join(dir, 'elsewhere'));
    writeFileSync(join(dir, 'watched', 'switchyard.yaml'), yaml(['alpha']));
    gateway = new GatewayProcess(join(dir, 'watched', 'switchyard.yaml'));
    url = (await gateway.waitFor((line) => line.msg === 'switchyard listening', 0, 8000)).url!;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });
  after(async () => {
    await gateway.stop(1000);
    rmSync(dir, { recursive: true, force: true });
  });

  test('serves the models of the file', async () => {
    assert.deepEqual(await modelIds(url), ['alpha']);
  });

  test('editing the file to add a model makes it appear in /v1/models', async () => {
    const from = gateway.lines.length;
    writeFileSync(join(dir, 'watched', 'switchyard.yaml'), yaml(['alpha', 'beta']));
    await gateway.waitFor(reloaded, from);
    assert.deepEqual(await modelIds(url), ['alpha', 'beta']);
    const chat = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'beta', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
    });
    assert.equal(chat.status, 200);
    assert.equal(chat.headers.get('x-switchyard-model'), 'beta');
  });

  test('an invalid file is logged with path and reason, and the old config keeps serving', async () => {
    const from = gateway.lines.length;
    const broken = yaml(['alpha', 'beta']).replace('beta: { deployments: [{ provider: sim', 'beta: { deployments: [{ provider: nope');
    writeFileSync(join(dir, 'watched', 'switchyard.yaml'), broken);
    const line = await gateway.waitFor(rejected, from);
    assert.equal(line.level, 'error');
    assert.match(line.msg, /models\.beta\.deployments\.0\.provider: unknown provider "nope"/);
    assert.deepEqual(await modelIds(url), ['alpha', 'beta']);

    const syntax = gateway.lines.length;
    writeFileSync(join(dir, 'watched', 'switchyard.yaml'), 'providers:\n  sim: { type: sim\n');
    assert.match((await gateway.waitFor(rejected, syntax)).msg, /line \d+: /);
    assert.deepEqual(await modelIds(url), ['alpha', 'beta']);
  });

  test('SIGHUP reloads, also a change the file watcher cannot see', async () => {
    // The config is now a symlink to a file in another directory: editing the target makes no event in the
    // watched directory, so only SIGHUP can pick it up.
    const target = join(dir, 'elsewhere', 'real.yaml');
    writeFileSync(target, yaml(['alpha', 'beta']));
    const linked = gateway.lines.length;
    rmSync(join(dir, 'watched', 'switchyard.yaml'));
    symlinkSync(target, join(dir, 'watched', 'switchyard.yaml'));
    await gateway.waitFor(reloaded, linked);

    writeFileSync(target, yaml(['alpha', 'beta', 'gamma']));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(await modelIds(url), ['alpha', 'beta'], 'the watcher should not have seen the edit');

    const from = gateway.lines.length;
    gateway.child.kill('SIGHUP');
    await gateway.waitFor(reloaded, from);
    assert.deepEqual(await modelIds(url), ['alpha', 'beta', 'gamma']);
    assert.equal(gateway.child.exitCode, null, 'SIGHUP must not stop the process');
  });

  test('SIGTERM drains and exits 0', async () => {
    const exited = once(gateway.child, 'exit');
    gateway.child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0);
    assert.ok(gateway.lines.some((line) => line.msg === 'stopped'));
  });
});

describe('watchConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-watch-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Starts a watcher on `path`, collecting what it applies and reports. */
  function watching(path: string) {
    const applied: string[][] = [];
    const reports: { ok: boolean; message: string }[] = [];
    let notify = () => {};
    const watcher = watchConfig(
      path,
      (config) => {
        applied.push(Object.keys(config.models));
      },
      (event) => {
        reports.push(event);
        notify();
      },
      20,
    );
    const nextReport = (timeoutMs = 3000) =>
      new Promise<{ ok: boolean; message: string }>((resolve, reject) => {
        const count = reports.length;
        const timer = setTimeout(() => reject(new Error('no reload report')), timeoutMs);
        notify = () => {
          if (reports.length > count) {
            clearTimeout(timer);
            resolve(reports[reports.length - 1]!);
          }
        };
      });
    return { watcher, applied, reports, nextReport };
  }

  test('a Kubernetes ConfigMap update (the ..data symlink swapped beside the file) reloads', async () => {
    // The layout kubelet writes: file -> ..data/file, ..data -> ..<timestamp>/, swapped by rename.
    const mount = join(dir, 'configmap');
    mkdirSync(join(mount, '..v1'), { recursive: true });
    mkdirSync(join(mount, '..v2'));
    writeFileSync(join(mount, '..v1', 'switchyard.yaml'), yaml(['alpha']));
    writeFileSync(join(mount, '..v2', 'switchyard.yaml'), yaml(['alpha', 'delta']));
    symlinkSync('..v1', join(mount, '..data'));
    symlinkSync(join('..data', 'switchyard.yaml'), join(mount, 'switchyard.yaml'));
    const { watcher, applied, nextReport } = watching(join(mount, 'switchyard.yaml'));
    try {
      const report = nextReport();
      symlinkSync('..v2', join(mount, '..data_tmp'));
      renameSync(join(mount, '..data_tmp'), join(mount, '..data'));
      assert.equal((await report).ok, true);
      assert.deepEqual(applied, [['alpha', 'delta']]);
    } finally {
      watcher.close();
    }
  });

  test('events that leave the file unchanged do not reload; SIGHUP-style reload() always does', async () => {
    const folder = join(dir, 'plain');
    mkdirSync(folder);
    const path = join(folder, 'switchyard.yaml');
    writeFileSync(path, yaml(['alpha']));
    const { watcher, applied, reports, nextReport } = watching(path);
    try {
      writeFileSync(join(folder, 'gateway.log'), 'noise\n');
      writeFileSync(path, yaml(['alpha']));
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(reports, []);
      const forced = nextReport();
      watcher.reload();
      assert.equal((await forced).ok, true);
      assert.deepEqual(applied, [['alpha']]);
      const invalid = nextReport();
      writeFileSync(path, yaml(['alpha'], 'aliases: { a: { targets: [{ model: missing }] } }'));
      const report = await invalid;
      assert.equal(report.ok, false);
      assert.match(report.message, /keeping the running config: .*aliases\.a\.targets\.0\.model: unknown model "missing"/s);
      assert.equal(applied.length, 1);
    } finally {
      watcher.close();
    }
  });
});
