/** `switchyard plan manifests` and `switchyard plan simulate`: flags in, the same functions the admin API calls. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../../src/cli/index.js';
import { parsePolicySpec } from '../../src/cli/plan-simulate.js';
import { planRequest } from '../../src/plan/plan-request.js';
import { presetPolicies } from '../../src/plan/simulate/policy.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-plan-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('switchyard plan manifests', () => {
  test('prints the YAML planRequest gives for the same input', () => {
    const result = runCli(['plan', 'manifests', '--model', 'llama-3.1-8b', '--gpu', 'l4', '--dau', '10000', '--autoscaler', 'hpa', '--namespace', 'llm']);
    assert.equal(result.exitCode, 0, result.stderr);
    const expected = planRequest({ model: 'llama-3.1-8b', gpu: 'l4', demand: { dailyActiveUsers: 10_000 }, manifests: { autoscaler: 'hpa', namespace: 'llm' } });
    assert.equal(result.stdout, expected.manifests!.yaml);
  });

  test('--out writes one file per object; --node-selector and --hf-secret reach the Deployment', () => {
    const out = join(dir, 'manifests');
    const result = runCli([
      'plan', 'manifests', '--model', 'llama-3.1-8b', '--gpu', 'l4', '--dau', '10000', '--out', out,
      '--node-selector', 'cloud.google.com/gke-accelerator=nvidia-l4', '--hf-secret', 'llama-token:hf',
    ]);
    assert.equal(result.exitCode, 0, result.stderr);
    const files = result.stdout.trim().split('\n');
    assert.deepEqual(files.map((f) => f.slice(out.length + 1)), ['deployment.yaml', 'service.yaml', 'poddisruptionbudget.yaml', 'scaledobject.yaml']);
    const deployment = parseAllDocuments(readFileSync(files[0]!, 'utf8'));
    assert.ok(Array.isArray(deployment) && deployment.length === 1, 'one document per file');
    const pod = (deployment[0]!.toJS() as { spec: { template: { spec: { nodeSelector: unknown; containers: { env: unknown[] }[] } } } }).spec.template.spec;
    assert.deepEqual(pod.nodeSelector, { 'cloud.google.com/gke-accelerator': 'nvidia-l4' });
    assert.deepEqual(pod.containers[0]!.env[0], { name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'llama-token', key: 'hf' } } });
  });

  test('bad values exit 2 naming the field', () => {
    const engine = runCli(['plan', 'manifests', '--model', 'llama-3.1-8b', '--gpu', 'l4', '--dau', '10000', '--engine', 'triton']);
    assert.equal(engine.exitCode, 2);
    assert.match(engine.stderr, /manifests\.engine/);
    const ceiling = runCli(['plan', 'manifests', '--model', 'llama-3.1-8b', '--gpu', 'l4']);
    assert.equal(ceiling.exitCode, 2);
    assert.match(ceiling.stderr, /needs a ceiling/);
    assert.equal(runCli(['plan', 'manifests', '--help']).exitCode, 0);
  });
});

describe('switchyard plan simulate', () => {
  const csv = join(dir, 'step.csv');
  const step = ['minute,requests_per_minute', ...Array.from({ length: 120 }, (_, m) => `${m},${m < 30 ? 300 : 3000}`)].join('\n');
  writeFileSync(csv, step);
  const base = ['plan', 'simulate', '--model', 'llama-3.1-8b', '--gpu', 'h100', '--itl-ms', '40', '--csv', csv];

  test('reports every preset policy for a CSV curve and writes the chart', () => {
    const svg = join(dir, 'chart.svg');
    const result = runCli([...base, '--svg', svg]);
    assert.equal(result.exitCode, 0, result.stderr);
    for (const name of ['static-peak', 'balanced', 'slow', 'eager']) assert.match(result.stdout, new RegExp(`^${name} `, 'm'));
    assert.match(result.stdout, /traffic\s+CSV .*step\.csv: 120 minutes, 279,000 requests/);
    assert.match(readFileSync(svg, 'utf8'), /^<svg [^>]*>[\s\S]*<\/svg>\n$/);
  });

  test('--json: a too-slow policy shows SLO minutes and drops that static-peak does not', () => {
    const result = runCli([...base, '--json', '--policy', 'static-peak', '--policy', 'name=sluggish,up=0.95,up-after=15,cold-start=5']);
    assert.equal(result.exitCode, 0, result.stderr);
    const body = JSON.parse(result.stdout) as { results: { policy: { name: string }; sloViolationMinutes: number; droppedRequests: number }[] };
    const [peak, sluggish] = body.results;
    assert.equal(peak!.policy.name, 'static-peak');
    assert.equal(sluggish!.policy.name, 'sluggish');
    assert.equal(peak!.sloViolationMinutes, 0);
    assert.ok(sluggish!.sloViolationMinutes > 15, `sluggish violates for more than its reaction time (${sluggish!.sloViolationMinutes})`);
    assert.ok(sluggish!.droppedRequests > 0, 'and drops requests');
  });

  test('policy specs: presets by name, key=value on top of balanced, unknown keys refused', () => {
    const presets = presetPolicies(3000, 1000, 1);
    assert.equal(parsePolicySpec('eager', presets).scaleUpUtilization, 0.6);
    const custom = parsePolicySpec('name=mine,up=0.7,cold-start=4,max=9', presets);
    assert.deepEqual(
      [custom.name, custom.scaleUpUtilization, custom.coldStartMinutes, custom.maxReplicas, custom.scaleDownAfterMinutes],
      ['mine', 0.7, 4, 9, 10],
    );
    assert.throws(() => parsePolicySpec('name=x,speed=3', presets), /unknown key "speed"/);
    assert.throws(() => parsePolicySpec('name=x,down=0.9,up=0.8', presets), /scaleDownUtilization must be below/);
  });

  test('without traffic, or with a missing file, exits 2 and says what to give', () => {
    const none = runCli(['plan', 'simulate', '--model', 'llama-3.1-8b', '--gpu', 'h100']);
    assert.equal(none.exitCode, 2);
    assert.match(none.stderr, /give --csv, --peak-rpm or --dau/);
    const missing = runCli(['plan', 'simulate', '--model', 'llama-3.1-8b', '--gpu', 'h100', '--csv', join(dir, 'absent.csv')]);
    assert.equal(missing.exitCode, 2);
    assert.match(missing.stderr, /ENOENT/);
  });
});
