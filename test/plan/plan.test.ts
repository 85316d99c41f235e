import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PlanInputError, planCapacity } from '../../src/plan/plan.js';

describe('planCapacity', () => {
  test('plans one model on one GPU with defaults: bf16, fp16 KV, smallest TP, 8K context', () => {
    const report = planCapacity({ model: 'llama-3.1-8b', gpu: 'h100' });
    assert.equal(report.hardware.id, 'h100-sxm');
    assert.deepEqual(
      [report.engine.weightDtype, report.engine.kvDtype, report.engine.tensorParallel, report.engine.contextLength],
      ['bf16', 'fp16', 1, 8192],
    );
    assert.equal(report.memory.kvBytesPerToken, 128 * 1024);
    assert.equal(report.memory.fits, true);
    assert.ok(report.memory.maxConcurrentSequences > 40);
    const perf = report.performance!;
    assert.ok(perf.ttftMs > 0 && perf.itlMsAtBatch1 > 0 && perf.itlMsAtServingBatch > perf.itlMsAtBatch1);
    assert.ok(perf.replicaOutputTokensPerSecond > 10 * perf.tokensPerSecondAtBatch1, 'batching multiplies throughput');
    assert.equal(report.demand, undefined);
    assert.ok(report.cost?.crossover.apiUsdPerRequest);
  });

  test('picks tensor parallelism for models that do not fit one GPU', () => {
    assert.equal(planCapacity({ model: 'llama-3.1-70b', gpu: 'h100' }).engine.tensorParallel, 2);
    assert.equal(planCapacity({ model: 'llama-3.1-70b', gpu: 'h200', weightDtype: 'fp8' }).engine.tensorParallel, 1);
  });

  test('reports what does not fit instead of estimating it', () => {
    const report = planCapacity({ model: 'llama-3.1-405b', gpu: 'a100-40gb' });
    assert.equal(report.memory.fits, false);
    assert.equal(report.performance, undefined);
    assert.match(report.warnings.join('\n'), /does not leave room for one 8192-token request/);
  });

  test('Apple silicon defaults to GGUF Q4_K_M and a single device', () => {
    const report = planCapacity({ model: 'llama-3.1-8b', gpu: 'm4-max' });
    assert.equal(report.engine.weightDtype, 'gguf-q4_k_m');
    assert.equal(report.engine.tensorParallel, 1);
    assert.ok(report.performance!.tokensPerSecondAtBatch1 > 20);
  });

  test('warns when an FP8 checkpoint runs on a GPU without FP8 tensor cores', () => {
    assert.match(planCapacity({ model: 'llama-3.1-8b', gpu: 'a100', weightDtype: 'fp8' }).warnings.join(), /no FP8 tensor cores/);
  });

  test('with demand: replicas for the peak, monthly cost against the API, and the rate-limit tier the load needs', () => {
    const report = planCapacity({
      model: 'llama-3.1-8b',
      gpu: 'h100',
      demand: { dailyActiveUsers: 150_000, requestsPerUserPerDay: 20, peakToAverage: 3 },
      api: 'gpt-4o-mini',
    });
    const demand = report.demand!;
    assert.equal(demand.requestsPerDay, 3_000_000);
    assert.equal(demand.peakTokensPerMinute, (3_000_000 / 1440) * 3 * 1250);
    assert.ok(demand.replicas * report.performance!.replicaRequestsPerSecond * 0.7 >= demand.peakRequestsPerSecond);
    assert.ok((demand.replicas - 1) * report.performance!.replicaRequestsPerSecond * 0.7 < demand.peakRequestsPerSecond);
    assert.equal(report.cost!.selfHostedMonthlyUsd, demand.gpus * 3.24 * 730);
    assert.ok(report.cost!.apiMonthlyUsd! > 0);
    assert.equal(report.rateLimits?.tier?.tier, 'Tier 4');
  });

  test('an inter-token target lowers the serving batch', () => {
    const free = planCapacity({ model: 'llama-3.1-8b', gpu: 'h100' }).performance!;
    const capped = planCapacity({ model: 'llama-3.1-8b', gpu: 'h100', itlTargetMs: 12 }).performance!;
    assert.ok(capped.servingBatch < free.servingBatch && capped.itlMsAtServingBatch <= 12);
  });

  test('speculative decoding: draft cost from the draft model’s weight bytes, and the best draft length', () => {
    const report = planCapacity({
      model: 'llama-3.1-70b',
      gpu: 'h200',
      speculative: { draftTokens: 4, acceptanceRate: 0.8, draftModel: 'llama-3.2-1b' },
    });
    const spec = report.speculative!;
    assert.ok(Math.abs(spec.draftCostRatio - 1.24 / 70.6) < 1e-9);
    assert.ok(spec.speedup > 2.5 && spec.itlMsWithSpeculation < report.performance!.itlMsAtBatch1);
    assert.ok(spec.bestSpeedup >= spec.speedup);
  });

  test('user prices override the catalogue', () => {
    const report = planCapacity({ model: 'llama-3.1-8b', gpu: 'l4', gpuHourlyUsd: 0.5, api: { inputPer1M: 1, outputPer1M: 2 } });
    assert.equal(report.cost?.gpuHourlyUsd, 0.5);
    assert.equal(report.cost?.api.id, 'custom');
    assert.equal(report.cost?.crossover.apiUsdPerRequest, (1000 + 250 * 2) / 1e6);
  });

  test('unknown names and invalid numbers are input errors that say what is accepted', () => {
    assert.throws(() => planCapacity({ model: 'llama-9', gpu: 'h100' }), (error: unknown) => {
      assert.ok(error instanceof PlanInputError);
      assert.match(error.message, /unknown model "llama-9"; known: llama-3\.1-8b, /);
      return true;
    });
    assert.throws(() => planCapacity({ model: 'llama-3.1-8b', gpu: 'tpu' }), /unknown gpu "tpu"/);
    assert.throws(() => planCapacity({ model: 'llama-3.1-8b', gpu: 'h100', targetUtilization: 1.5 }), /targetUtilization/);
  });

  test('the report is plain JSON', () => {
    const report = planCapacity({ model: 'mixtral-8x7b', gpu: 'h100', demand: { dailyActiveUsers: 1000 } });
    assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
  });
});
