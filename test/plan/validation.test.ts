/**
 * The capacity model against published measurements. Each figure names its source; each estimate must land within
 * ±25% and the test prints the error (`node --test` shows it as a diagnostic line). The calibration constants in
 * src/plan/calibration.ts were set once for the whole table, not per figure.
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { defaultCalibration } from '../../src/plan/calibration.js';
import type { KvDtype, WeightDtype } from '../../src/plan/dtypes.js';
import { findHardware } from '../../src/plan/hardware.js';
import { GiB, memoryBudget, weightBytes } from '../../src/plan/memory.js';
import { findModel } from '../../src/plan/models.js';
import { decodeStepTime, prefillTime, saturatedThroughput, type Deployment } from '../../src/plan/performance.js';

const tolerance = 0.25;

function expectWithin(t: TestContext, estimate: number, published: number, unit: string): void {
  const error = estimate / published - 1;
  t.diagnostic(`published ${published} ${unit}, estimate ${estimate.toFixed(2)} ${unit}, error ${(error * 100).toFixed(1)}%`);
  assert.ok(Math.abs(error) <= tolerance, `estimate ${estimate.toFixed(2)} is ${(error * 100).toFixed(1)}% off ${published} ${unit}`);
}

function deployment(model: string, gpu: string, weightDtype: WeightDtype, kvDtype: KvDtype, tensorParallel: number): Deployment {
  return { model: findModel(model)!, hardware: findHardware(gpu)!, weightDtype, kvDtype, tensorParallel, calibration: defaultCalibration };
}

describe('memory against vLLM start-up logs and llama.cpp file sizes', () => {
  // vllm-project/vllm#10517 (RTX 3090, meta-llama/Llama-3.1-8B-Instruct): "Loading model weights took 14.9888 GB"
  // (vLLM's "GB" there is GiB).
  test('Llama-3.1-8B bf16 weights: 14.99 GiB (vLLM log, vllm#10517)', (t) => {
    expectWithin(t, weightBytes(findModel('llama-3.1-8b')!, 'bf16') / GiB, 14.9888, 'GiB');
  });

  // vllm-project/vllm#12569 (H100, neuralmagic/Meta-Llama-3.1-70B-Instruct-quantized.w8a8):
  // "Loading model weights took 67.7229 GB". The LM head and embeddings stay 16-bit.
  test('Llama-3.1-70B W8A8 weights: 67.72 GiB (vLLM log, vllm#12569)', (t) => {
    expectWithin(t, weightBytes(findModel('llama-3.1-70b')!, 'int8') / GiB, 67.7229, 'GiB');
  });

  // Same log as above: kv_cache_size=3.81GiB held 1,952 blocks × 16 tokens = 31,232 tokens, i.e. 3.81 GiB / 31,232
  // = 130,986 bytes per token (the 3.81 is rounded); config.json gives 2 × 32 × 8 × 128 × 2 = 131,072 (128 KiB).
  test('Llama-3.1-8B fp16 KV per token: 128 KiB (vllm#10517: 3.81 GiB for 31,232 tokens)', (t) => {
    const budget = memoryBudget(findModel('llama-3.1-8b')!, findHardware('rtx-3090')!, {
      weightDtype: 'bf16', kvDtype: 'fp16', tensorParallel: 1, gpuMemoryUtilization: 0.9, maxBatchedTokens: 20_000, maxNumSeqs: 256,
    });
    expectWithin(t, budget.kvBytesPerToken, (3.81 * GiB) / 31_232, 'bytes/token');
  });

  // vllm#10517, RTX 3090, gpu_memory_utilization=0.90, max_model_len (and so max_num_batched_tokens) 20,000:
  // "# GPU blocks: 1952" → 31,232 tokens; "Maximum concurrency for 20000 tokens per request: 1.56x".
  // At 29,000: "# GPU blocks: 1478" → 23,648 tokens (the larger profiling pass leaves less for KV).
  for (const [maxModelLen, publishedTokens] of [[20_000, 31_232], [29_000, 23_648]] as const) {
    test(`RTX 3090 KV cache for Llama-3.1-8B at max_model_len ${maxModelLen}: ${publishedTokens} tokens (vllm#10517)`, (t) => {
      const budget = memoryBudget(findModel('llama-3.1-8b')!, findHardware('rtx-3090')!, {
        weightDtype: 'bf16', kvDtype: 'fp16', tensorParallel: 1, gpuMemoryUtilization: 0.9, maxBatchedTokens: maxModelLen, maxNumSeqs: 256,
      });
      expectWithin(t, budget.kvCacheTokens, publishedTokens, 'tokens');
      expectWithin(t, budget.kvCacheTokens / maxModelLen, publishedTokens / maxModelLen, 'x concurrency');
    });
  }

  // llama-bench "size" column for LLaMA 7B (6.74 B params): ggml-org/llama.cpp#3084 (Q4_K_M 3.80 GiB) and
  // #2917 (Q8_0 6.67 GiB, Q4_0 3.56 GiB).
  for (const [dtype, gib, pr] of [['gguf-q4_k_m', 3.8, '#3084'], ['gguf-q8_0', 6.67, '#2917'], ['gguf-q4_0', 3.56, '#2917']] as const) {
    test(`LLaMA-7B ${dtype} file: ${gib} GiB (llama.cpp ${pr})`, (t) => {
      expectWithin(t, weightBytes(findModel('llama-2-7b')!, dtype) / GiB, gib, 'GiB');
    });
  }
});

describe('time to first token against TensorRT-LLM and lmdeploy tables (batch 1, 2,048-token prompt)', () => {
  // NVIDIA/TensorRT-LLM docs/source/performance.md (v0.5 "Low Latency" tables): 1st-token latency, batch 1.
  // lmdeploy docs/en/benchmark/a100_fp16.md (v0.1.0a1, A100-80G): FTL(ave) for prompt 2048, batch 1.
  const cases = [
    { what: 'LLaMA 7B, H100, FP8 (TensorRT-LLM)', model: 'llama-2-7b', gpu: 'h100', dtype: 'fp8', tp: 1, ms: 36 },
    { what: 'LLaMA 7B, A100, FP16 (TensorRT-LLM)', model: 'llama-2-7b', gpu: 'a100-80gb', dtype: 'fp16', tp: 1, ms: 133 },
    { what: 'LLaMA 70B, 4×H100, FP8 (TensorRT-LLM)', model: 'llama-2-70b', gpu: 'h100', dtype: 'fp8', tp: 4, ms: 109 },
    { what: 'LLaMA 70B, 4×A100, FP16 (TensorRT-LLM)', model: 'llama-2-70b', gpu: 'a100-80gb', dtype: 'fp16', tp: 4, ms: 377 },
    { what: 'Llama-2-7B, A100, FP16 (lmdeploy)', model: 'llama-2-7b', gpu: 'a100-80gb', dtype: 'fp16', tp: 1, ms: 139 },
    { what: 'Llama-2-13B, A100, FP16 (lmdeploy)', model: 'llama-2-13b', gpu: 'a100-80gb', dtype: 'fp16', tp: 1, ms: 242 },
    { what: 'Llama-2-70B, 4×A100, FP16 (lmdeploy)', model: 'llama-2-70b', gpu: 'a100-80gb', dtype: 'fp16', tp: 4, ms: 402 },
  ] as const;
  for (const c of cases) {
    test(`${c.what}: ${c.ms} ms`, (t) => {
      expectWithin(t, prefillTime(deployment(c.model, c.gpu, c.dtype, 'fp16', c.tp), 2048).seconds * 1000, c.ms, 'ms');
    });
  }
});

describe('batch-1 decode (memory-bound) against lmdeploy, NVIDIA NIM and llama.cpp', () => {
  // lmdeploy a100_fp16.md static inference, batch 1, prompt 1, 128 output tokens: throughput (out tok/s).
  for (const [model, tp, tokensPerSecond] of [['llama-2-7b', 1, 100.02], ['llama-2-13b', 1, 57.49], ['llama-2-70b', 4, 33.94]] as const) {
    test(`${model} on ${tp}×A100 FP16: ${tokensPerSecond} tok/s (lmdeploy a100_fp16.md)`, (t) => {
      const step = decodeStepTime(deployment(model, 'a100-80gb', 'fp16', 'fp16', tp), 1, 64);
      expectWithin(t, 1 / step.seconds, tokensPerSecond, 'tok/s');
    });
  }

  // NVIDIA NIM LLM benchmarking, "Performance" page (docs.nvidia.com/nim/benchmarking/llm/1.0.0/performance):
  // Llama-3.3-70b-instruct, NIM 1.8.0, 2 × H100 80G, fp8 TP2, 5000 input / 500 output, concurrency 1: ITL 18.58 ms.
  // Llama 3.3 70B has Llama 3.1 70B's architecture. FP8 KV assumed (ModelOpt's default KV format).
  test('Llama-3.3-70B on 2×H100 FP8, 5000/500, concurrency 1: ITL 18.58 ms (NVIDIA NIM)', (t) => {
    const step = decodeStepTime(deployment('llama-3.1-70b', 'h100', 'fp8', 'fp8', 2), 1, 5250);
    expectWithin(t, step.seconds * 1000, 18.58, 'ms');
  });

  // llama-bench tg128 (batch 1, 128 generated tokens). RTX 4090: ggml-org/llama.cpp#4766 (codellama-7b, LLaMA-7B
  // shape, vocab 32,016): F16 61.03, Q8_0 98.13 t/s. M2 Ultra: ggml-org/llama.cpp#2917 (LLaMA 7B, master column):
  // Q8_0 62.05, Q4_0 88.54 t/s.
  const llamaCpp = [
    ['rtx-4090', 'fp16', 61.03, '#4766'],
    ['rtx-4090', 'gguf-q8_0', 98.13, '#4766'],
    ['m2-ultra', 'gguf-q8_0', 62.05, '#2917'],
    ['m2-ultra', 'gguf-q4_0', 88.54, '#2917'],
  ] as const;
  for (const [gpu, dtype, tokensPerSecond, pr] of llamaCpp) {
    test(`LLaMA-7B ${dtype} on ${gpu}: ${tokensPerSecond} tok/s (llama.cpp ${pr}, tg128)`, (t) => {
      const step = decodeStepTime(deployment('llama-2-7b', gpu, dtype, 'fp16', 1), 1, 64);
      expectWithin(t, 1 / step.seconds, tokensPerSecond, 'tok/s');
    });
  }
});

describe('saturated throughput against the TensorRT-LLM performance overview (every Llama row, H100 and H200)', () => {
  // NVIDIA/TensorRT-LLM docs/source/performance/perf-overview.md (commit 00f3768, PyTorch backend, trtllm-bench
  // throughput, "Total Output Throughput (tokens/sec)"): nvidia/Llama-3.1-8B-Instruct-FP8 and
  // nvidia/Llama-3.3-70B-Instruct-FP8. Those ModelOpt checkpoints quantise the KV cache to FP8 (ModelOpt's
  // hf_ptq.py default --kv_cache_qformat fp8). trtllm-bench admits requests with the default
  // GUARANTEED_NO_EVICT scheduler (reserve prompt + output) and CUDA graphs up to batch 8,192.
  const isl = [[128, 128], [128, 2048], [128, 4096], [500, 2000], [1000, 1000], [1000, 2000], [2048, 128], [2048, 2048], [5000, 500], [20_000, 2000]] as const;
  const tables = [
    { model: 'llama-3.1-8b', gpu: 'h100', tp: 1, outputTokensPerSecond: [28_312, 22_714, 14_325, 17_660, 15_220, 13_899, 3450, 9305, 3459, 1351] },
    { model: 'llama-3.1-8b', gpu: 'h200', tp: 1, outputTokensPerSecond: [27_911, 26_221, 18_027, 20_770, 17_744, 16_828, 3538, 12_194, 3902, 1804] },
    { model: 'llama-3.1-70b', gpu: 'h100', tp: 2, outputTokensPerSecond: [6378, 6651, 4199, 5222, 4205, 4146, 762, 3082, 898, 437] },
    { model: 'llama-3.1-70b', gpu: 'h200', tp: 1, outputTokensPerSecond: [3803, 4336, 2872, 3666, 2909, 2994, 442, 2003, 566, 283] },
  ];
  for (const table of tables) {
    const dep = deployment(table.model, table.gpu, 'fp8', 'fp8', table.tp);
    const budget = memoryBudget(dep.model, dep.hardware, {
      weightDtype: 'fp8', kvDtype: 'fp8', tensorParallel: table.tp, gpuMemoryUtilization: 0.9, maxBatchedTokens: 8192, maxNumSeqs: 8192,
    });
    table.outputTokensPerSecond.forEach((published, i) => {
      const [inputTokens, outputTokens] = isl[i]!;
      test(`${table.model} on ${table.tp}×${table.gpu} FP8, ${inputTokens}/${outputTokens}: ${published} tok/s`, (t) => {
        const estimate = saturatedThroughput(dep, budget.kvCacheTokens, { inputTokens, outputTokens }, { maxNumSeqs: 8192, kvAdmission: 'reserve-full' });
        expectWithin(t, estimate.outputTokensPerSecond, published, 'tok/s');
      });
    });
  }
});
