import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { findHardware } from '../../src/plan/hardware.js';
import {
  GiB,
  activationBytesPerGpu,
  kvBytesPerToken,
  kvBytesPerTokenPerGpu,
  maxConcurrency,
  maxConcurrentSequences,
  memoryBudget,
  minTensorParallel,
  weightBytes,
  type EngineSettings,
} from '../../src/plan/memory.js';
import { embeddingParams, findModel } from '../../src/plan/models.js';

const llama8b = findModel('llama-3.1-8b')!;
const llama70b = findModel('llama-3.1-70b')!;
const h100 = findHardware('h100')!;
const vllm: EngineSettings = { weightDtype: 'bf16', kvDtype: 'fp16', tensorParallel: 1, gpuMemoryUtilization: 0.9, maxBatchedTokens: 8192, maxNumSeqs: 256 };

describe('weight bytes', () => {
  test('16-bit weights take 2 bytes per parameter: Llama-3.1-8B ≈ 16 GB', () => {
    assert.equal(weightBytes(llama8b, 'bf16'), 2 * 8.03e9);
  });

  test('FP8 halves the transformer blocks but keeps embeddings and LM head in 16-bit', () => {
    const embeddings = embeddingParams(llama8b);
    assert.equal(weightBytes(llama8b, 'fp8'), 8.03e9 - embeddings + 2 * embeddings);
  });

  test('GGUF formats apply their average bits per weight to every parameter', () => {
    assert.equal(weightBytes(llama8b, 'gguf-q4_k_m'), (8.03e9 * 4.85) / 8);
    assert.equal(weightBytes(llama8b, 'gguf-q8_0'), (8.03e9 * 8.5) / 8);
  });
});

describe('KV cache per token', () => {
  test('2 × layers × KV heads × head dim × bytes: 128 KiB for Llama-3.1-8B and 320 KiB for 70B at fp16', () => {
    assert.equal(kvBytesPerToken(llama8b, 'fp16'), 128 * 1024);
    assert.equal(kvBytesPerToken(llama70b, 'fp16'), 320 * 1024);
  });

  test('an FP8 cache takes half the bytes', () => {
    assert.equal(kvBytesPerToken(llama8b, 'fp8'), 64 * 1024);
  });

  test('DeepSeek-V3 caches one 512 + 64 latent per layer (MLA): 70,272 bytes at bf16, not 2 × 128 heads', () => {
    assert.equal(kvBytesPerToken(findModel('deepseek-v3')!, 'bf16'), 61 * 576 * 2);
  });

  test('tensor parallelism splits KV heads across ranks, and replicates them beyond one head per rank', () => {
    assert.equal(kvBytesPerTokenPerGpu(llama70b, 'fp16', 4), (320 * 1024) / 4);
    assert.equal(kvBytesPerTokenPerGpu(llama70b, 'fp16', 8), (320 * 1024) / 8);
    const qwen7b = findModel('qwen2.5-7b')!; // 4 KV heads
    assert.equal(kvBytesPerTokenPerGpu(qwen7b, 'fp16', 8), kvBytesPerToken(qwen7b, 'fp16') / 4);
  });

  test('every rank keeps the whole MLA latent', () => {
    const deepseek = findModel('deepseek-v3')!;
    assert.equal(kvBytesPerTokenPerGpu(deepseek, 'bf16', 8), kvBytesPerToken(deepseek, 'bf16'));
  });
});

describe('memory budget', () => {
  test('KV gets what utilisation leaves after weights, activations and runtime overhead, in 16-token blocks', () => {
    const budget = memoryBudget(llama8b, h100, vllm);
    assert.equal(budget.usableBytesPerGpu, (80 - 0.5) * GiB * 0.9);
    const kv = budget.usableBytesPerGpu - budget.weightBytesPerGpu - budget.activationBytesPerGpu - budget.overheadBytesPerGpu;
    assert.equal(budget.kvCacheBytesPerGpu, kv);
    assert.equal(budget.kvCacheTokens % 16, 0);
    assert.ok(budget.kvCacheTokens * 128 * 1024 <= kv && kv < (budget.kvCacheTokens + 16) * 128 * 1024);
  });

  test('a larger profiling pass (max_num_batched_tokens) leaves less KV cache', () => {
    const small = memoryBudget(llama8b, h100, vllm);
    const large = memoryBudget(llama8b, h100, { ...vllm, maxBatchedTokens: 32_768 });
    assert.ok(activationBytesPerGpu(llama8b, { ...vllm, maxBatchedTokens: 32_768 }) > activationBytesPerGpu(llama8b, vllm));
    assert.ok(large.kvCacheTokens < small.kvCacheTokens);
  });

  test('tensor parallelism divides weights per GPU and multiplies the replica cache', () => {
    const tp1 = memoryBudget(llama8b, h100, vllm);
    const tp2 = memoryBudget(llama8b, h100, { ...vllm, tensorParallel: 2 });
    assert.equal(tp2.weightBytesPerGpu, tp1.weightBytesPerGpu / 2);
    assert.ok(tp2.kvCacheTokens > 2 * tp1.kvCacheTokens);
  });

  test('weights that do not fit leave no KV cache and do not fit', () => {
    const budget = memoryBudget(llama70b, h100, vllm);
    assert.equal(budget.kvCacheTokens, 0);
    assert.equal(budget.kvCacheBytesPerGpu, 0);
    assert.equal(budget.fits, false);
  });

  test('concurrency at a context length: full-length requests held, capped by max_num_seqs for sequences', () => {
    const budget = memoryBudget(llama8b, h100, vllm);
    assert.equal(maxConcurrency(budget, 8192), budget.kvCacheTokens / 8192);
    assert.equal(maxConcurrentSequences(budget, 8192, 256), Math.floor(budget.kvCacheTokens / 8192));
    assert.equal(maxConcurrentSequences(budget, 128, 256), 256);
  });

  test('the smallest tensor-parallel degree that holds one request', () => {
    const settings = { weightDtype: 'bf16', kvDtype: 'fp16', gpuMemoryUtilization: 0.9, maxBatchedTokens: 8192, maxNumSeqs: 256 } as const;
    assert.equal(minTensorParallel(llama8b, h100, settings, 8192), 1);
    assert.equal(minTensorParallel(llama70b, h100, settings, 8192), 2);
    assert.equal(minTensorParallel(findModel('llama-3.1-405b')!, h100, settings, 8192), undefined);
    assert.equal(minTensorParallel(llama70b, findHardware('m2-ultra')!, { ...settings, weightDtype: 'gguf-q4_k_m' }, 8192), 1);
    assert.equal(minTensorParallel(llama70b, findHardware('m3-max')!, settings, 8192), undefined, 'no TP on a single Mac');
  });
});
