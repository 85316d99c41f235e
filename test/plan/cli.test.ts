import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runCli } from '../../src/cli/index.js';
import { planInputFromFlags, runPlanCommand } from '../../src/cli/plan.js';
import { planCapacity } from '../../src/plan/plan.js';

describe('switchyard plan', () => {
  test('prints a table with memory, latency and throughput for a model on a GPU', () => {
    const result = runPlanCommand(['--model', 'llama-3.1-8b', '--gpu', 'h100']);
    assert.equal(result.exitCode, 0);
    assert.equal(result.stderr, '');
    assert.match(result.stdout, /^Llama 3\.1 8B on NVIDIA H100 SXM 80GB\n/);
    assert.match(result.stdout, /KV per token\s+128\.0 KiB/);
    assert.match(result.stdout, /TTFT\s+\d+\.\d ms \(compute-bound\)/);
    assert.doesNotMatch(result.stdout, /Demand and fleet/, 'fleet needs --dau');
  });

  test('--json prints exactly the report planCapacity returns for the same input', () => {
    const args = ['--model', 'qwen2.5-72b', '--gpu', 'h200', '--dtype', 'fp8', '--dau', '50000', '--itl-ms', '40', '--json'];
    const result = runPlanCommand(args);
    assert.equal(result.exitCode, 0);
    const expected = planCapacity({ model: 'qwen2.5-72b', gpu: 'h200', weightDtype: 'fp8', demand: { dailyActiveUsers: 50_000 }, itlTargetMs: 40 });
    assert.deepEqual(JSON.parse(result.stdout), JSON.parse(JSON.stringify(expected)));
  });

  test('flags map onto the plan input, leaving absent ones to the defaults', () => {
    const input = planInputFromFlags({
      model: 'mixtral-8x7b', gpu: 'a100', tp: '2', dau: '1000', 'peak-factor': '4', 'api-input-price': '0.5', 'api-output-price': '1.5',
      'draft-tokens': '3',
    });
    assert.deepEqual(input, {
      model: 'mixtral-8x7b', gpu: 'a100', tensorParallel: 2, demand: { dailyActiveUsers: 1000, peakToAverage: 4 },
      api: { id: 'custom', inputPer1M: 0.5, outputPer1M: 1.5 }, speculative: { draftTokens: 3, acceptanceRate: 0.7 },
    });
  });

  test('the fleet, cost, rate-limit and speculative sections appear when asked for', () => {
    const result = runPlanCommand(['--model', 'llama-3.1-70b', '--gpu', 'h100', '--dau', '20000', '--draft-tokens', '4', '--draft-model', 'llama-3.2-1b']);
    for (const section of ['Demand and fleet', 'Cost (monthly)', 'Provider rate limits', 'Speculative decoding']) {
      assert.match(result.stdout, new RegExp(`^${section.replace(/[()]/g, '\\$&')}$`, 'm'));
    }
    assert.match(result.stdout, /replica\s+2 × NVIDIA H100/);
  });

  test('a model that does not fit says so instead of estimating it', () => {
    const result = runPlanCommand(['--model', 'llama-3.1-405b', '--gpu', 'l4']);
    assert.equal(result.exitCode, 0);
    assert.match(result.stdout, /replica\s+does not fit/);
    assert.match(result.stdout, /warning\s+Llama 3\.1 405B in bf16/);
  });

  test('bad input exits 2 with a message naming the problem', () => {
    assert.deepEqual(runPlanCommand(['--model', 'nope', '--gpu', 'h100']).exitCode, 2);
    assert.match(runPlanCommand(['--model', 'nope', '--gpu', 'h100']).stderr, /unknown model "nope"/);
    assert.match(runPlanCommand(['--model', 'llama-3.1-8b', '--gpu', 'h100', '--tp', 'two']).stderr, /tensorParallel/);
    assert.match(runPlanCommand(['--gpu', 'h100']).stderr, /--model and --gpu are required/);
    assert.match(runPlanCommand(['--model', 'llama-3.1-8b', '--gpu', 'h100', '--frobnicate']).stderr, /Unknown option '--frobnicate'/);
  });

  test('--help and --list print usage and the catalogues', () => {
    assert.match(runPlanCommand(['--help']).stdout, /^Usage: switchyard plan/);
    const list = runPlanCommand(['--list']).stdout;
    assert.match(list, /^ {2}deepseek-v3 +DeepSeek-V3/m);
    assert.match(list, /^ {2}m4-max +Apple M4 Max/m);
  });
});

describe('switchyard CLI dispatch', () => {
  test('routes subcommands and rejects unknown ones', () => {
    assert.equal(runCli(['plan', '--list']).exitCode, 0);
    assert.equal(runCli(['serve']).exitCode, 2);
    assert.match(runCli(['serve']).stderr, /unknown command "serve"/);
    assert.equal(runCli([]).exitCode, 2);
    assert.match(runCli(['--help']).stdout, /plan {4}estimate/);
  });
});
