import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultCalibration } from '../../src/plan/calibration.js';
import type { WeightDtype } from '../../src/plan/dtypes.js';
import { findHardware } from '../../src/plan/hardware.js';
import { weightBytes } from '../../src/plan/memory.js';
import { findModel } from '../../src/plan/models.js';
import {
  allReduceSeconds,
  attentionFlopsPerContextToken,
  decodeStepTime,
  expectedExpertsTouched,
  prefillTime,
  saturatedThroughput,
  smoothMax,
  weightBytesRead,
  type Deployment,
} from '../../src/plan/performance.js';

const pure = { ...defaultCalibration, rooflineSmoothing: Number.POSITIVE_INFINITY };

function deployment(model: string, gpu: string, tensorParallel = 1, weightDtype: WeightDtype = 'bf16', calibration = pure): Deployment {
  return { model: findModel(model)!, hardware: findHardware(gpu)!, weightDtype, kvDtype: 'fp16', tensorParallel, calibration };
}

const close = (actual: number, expected: number, relative = 1e-9) =>
  assert.ok(Math.abs(actual / expected - 1) < relative, `${actual} is not ${expected}`);

describe('roofline building blocks', () => {
  test('attention costs 4 × layers × heads × head dim FLOPs per context token (QKᵀ and AV)', () => {
    assert.equal(attentionFlopsPerContextToken(findModel('llama-3.1-8b')!), 4 * 32 * 32 * 128);
  });

  test('a batch touches k experts per token at first and all experts once it is large', () => {
    assert.equal(expectedExpertsTouched(8, 2, 1), 2);
    close(expectedExpertsTouched(8, 2, 2), 8 * (1 - 0.75 ** 2));
    assert.ok(expectedExpertsTouched(256, 8, 4096) > 255.99);
  });

  test('a dense model reads its weights except the input embedding table', () => {
    const model = findModel('llama-3.1-8b')!;
    assert.equal(weightBytesRead(model, 'bf16', 1), weightBytes(model, 'bf16') - 128_256 * 4096 * 2);
    assert.equal(weightBytesRead(model, 'bf16', 64), weightBytesRead(model, 'bf16', 1));
  });

  test('an MoE decode step at batch 1 reads the active experts only, at large batch nearly all of them', () => {
    const mixtral = findModel('mixtral-8x7b')!;
    const one = weightBytesRead(mixtral, 'bf16', 1);
    assert.ok(one > 2 * 12.9e9 * 0.97 && one < 2 * 12.9e9, `batch 1 reads ${one / 1e9} GB`);
    assert.ok(weightBytesRead(mixtral, 'bf16', 256) > 0.99 * weightBytesRead(mixtral, 'bf16', 1e6));
  });

  test('smoothMax is the max when one side dominates and √2 × the max when they are equal', () => {
    assert.equal(smoothMax(3, 1, Number.POSITIVE_INFINITY), 3);
    close(smoothMax(1, 1, 2), Math.SQRT2);
    assert.ok(smoothMax(7, 1, 2) / 7 < 1.011);
    assert.equal(smoothMax(0, 0, 2), 0);
  });

  test('all-reduces cost nothing on one GPU, grow with tokens, and are impossible without an interconnect', () => {
    assert.equal(allReduceSeconds(deployment('llama-3.1-70b', 'h100'), 1000), 0);
    const tp4 = deployment('llama-3.1-70b', 'h100', 4);
    assert.ok(allReduceSeconds(tp4, 2048) > allReduceSeconds(tp4, 1));
    close(allReduceSeconds(tp4, 1), 2 * 80 * (10e-6 + (1.5 * 8192 * 2) / (450e9 * 0.7)));
    assert.throws(() => allReduceSeconds(deployment('llama-3.1-8b', 'm2-ultra', 2), 1), /no GPU interconnect/);
  });
});

describe('prefill (time to first token)', () => {
  test('a long prompt is compute-bound: 2 × params × tokens plus causal attention over the effective FLOP/s', () => {
    const prefill = prefillTime(deployment('llama-3.1-8b', 'h100'), 4096);
    assert.equal(prefill.bound, 'compute');
    const flops = 2 * 8.03e9 * 4096 + (4 * 32 * 32 * 128 * 4096 ** 2) / 2;
    close(prefill.computeSeconds, flops / (989e12 * 0.65));
    assert.equal(prefill.seconds, prefill.computeSeconds);
  });

  test('a one-token prompt is memory-bound: it still reads every weight once', () => {
    assert.equal(prefillTime(deployment('llama-3.1-8b', 'h100'), 1).bound, 'memory');
  });

  test('FP8 runs at the FP8 tensor rate where the GPU has one and at the 16-bit rate where it does not', () => {
    const h100 = prefillTime(deployment('llama-3.1-8b', 'h100', 1, 'fp8'), 4096).computeSeconds;
    close(h100, prefillTime(deployment('llama-3.1-8b', 'h100'), 4096).computeSeconds * ((989 * 0.65) / (1979 * 0.45)));
    const a100fp8 = prefillTime(deployment('llama-3.1-8b', 'a100-80gb', 1, 'fp8'), 4096).computeSeconds;
    close(a100fp8, prefillTime(deployment('llama-3.1-8b', 'a100-80gb'), 4096).computeSeconds);
  });

  test('tensor parallelism shortens prefill but less than linearly (all-reduces)', () => {
    const one = prefillTime(deployment('llama-3.1-70b', 'h200'), 2048).seconds;
    const four = prefillTime(deployment('llama-3.1-70b', 'h200', 4), 2048).seconds;
    assert.ok(four < one / 2 && four > one / 4);
  });
});

describe('decode (inter-token latency)', () => {
  test('batch 1 is memory-bound: weight bytes over effective bandwidth', () => {
    const dep = deployment('llama-3.1-8b', 'h100');
    const step = decodeStepTime(dep, 1, 0);
    assert.equal(step.bound, 'memory');
    close(step.seconds, weightBytesRead(dep.model, 'bf16', 1) / (3350e9 * 0.7));
  });

  test('each sequence adds its KV reads, so latency grows with batch and context', () => {
    const dep = deployment('llama-3.1-8b', 'h100');
    const base = decodeStepTime(dep, 1, 0).memorySeconds;
    close(decodeStepTime(dep, 8, 4096).memorySeconds - base, (8 * 4096 * 131_072) / (3350e9 * 0.7));
    assert.ok(decodeStepTime(dep, 64, 4096).seconds > decodeStepTime(dep, 8, 4096).seconds);
  });

  test('throughput per GPU grows with batch until compute becomes the ceiling', () => {
    const dep = deployment('llama-3.1-8b', 'h100');
    const tokensPerSecond = (batch: number) => batch / decodeStepTime(dep, batch, 512).seconds;
    assert.ok(tokensPerSecond(64) > 20 * tokensPerSecond(1));
    assert.equal(decodeStepTime(dep, 4096, 16).bound, 'compute');
  });

  test('Apple silicon decodes at the calibrated share of its unified-memory bandwidth', () => {
    const dep = deployment('llama-3.1-8b', 'm2-ultra', 1, 'gguf-q4_k_m');
    close(decodeStepTime(dep, 1, 0).seconds, weightBytesRead(dep.model, 'gguf-q4_k_m', 1) / (800e9 * 0.5));
  });
});

describe('saturated throughput', () => {
  const dep = deployment('llama-3.1-8b', 'h100', 1, 'bf16', defaultCalibration);
  const workload = { inputTokens: 1000, outputTokens: 500 };

  test('the batch is bounded by the KV cache at the mean context, and by max_num_seqs', () => {
    assert.equal(saturatedThroughput(dep, 125_000, workload, { maxNumSeqs: 256, kvAdmission: 'on-demand' }).batch, 100);
    assert.equal(saturatedThroughput(dep, 10_000_000, workload, { maxNumSeqs: 256, kvAdmission: 'on-demand' }).batch, 256);
  });

  test('reserving the full output at admission admits fewer sequences than allocating on demand', () => {
    assert.equal(saturatedThroughput(dep, 150_000, workload, { maxNumSeqs: 256, kvAdmission: 'reserve-full' }).batch, 100);
  });

  test('an inter-token target caps the batch at the largest one that meets it', () => {
    const capped = saturatedThroughput(dep, 10_000_000, workload, { maxNumSeqs: 256, kvAdmission: 'on-demand', maxStepSeconds: 0.012 });
    assert.ok(capped.step.seconds <= 0.012);
    assert.ok(decodeStepTime(dep, capped.batch + 1, capped.meanContext).seconds > 0.012);
  });

  test('throughput counts each request’s prefill compute plus its share of decode steps', () => {
    const result = saturatedThroughput(dep, 125_000, workload, { maxNumSeqs: 256, kvAdmission: 'on-demand' });
    const prefill = prefillTime(dep, 1000);
    const perRequest = prefill.computeSeconds + (500 * result.step.seconds) / result.batch;
    close(result.requestsPerSecond, 1 / perRequest);
    close(result.outputTokensPerSecond, 500 / perRequest);
  });

  test('a cache that cannot hold one request serves nothing', () => {
    const result = saturatedThroughput(dep, 1000, workload, { maxNumSeqs: 256, kvAdmission: 'on-demand' });
    assert.equal(result.batch, 0);
    assert.equal(result.outputTokensPerSecond, 0);
  });
});
