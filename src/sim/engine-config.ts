/**
 * The simulated engine's settings (vLLM's flag names, camel-cased) and what they imply: the planner's memory
 * budget turned into a number of KV blocks, the longest sequence served, and the roofline deployment the step
 * times come from. Invalid settings are reported as one readable message.
 */
import { z } from 'zod';
import { defaultCalibration } from '../plan/calibration.js';
import { isKvDtype, isWeightDtype, type KvDtype, type WeightDtype } from '../plan/dtypes.js';
import { findHardware, hardware } from '../plan/hardware.js';
import { GiB, memoryBudget, type MemoryBudget } from '../plan/memory.js';
import { findModel, models } from '../plan/models.js';
import type { Deployment } from '../plan/performance.js';

const positiveInt = z.number().int().positive();

export const simEngineOptionsSchema = z.strictObject({
  /** Planner model id (`switchyard plan --list`). */
  model: z.string().default('llama-3.1-8b'),
  /** Planner GPU id; `h100` is the SXM part. */
  gpu: z.string().default('h100'),
  tp: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)]).default(1),
  dtype: z.string().refine(isWeightDtype, 'unknown weight dtype').default('bf16'),
  kvDtype: z.string().refine(isKvDtype, 'unknown KV cache dtype').default('bf16'),
  /** Real seconds per virtual second: 0.01 runs 100× faster than the modelled GPU; 0 runs as fast as possible. */
  timeScale: z.number().min(0).max(1000).default(1),
  maxNumSeqs: positiveInt.max(65_536).default(256),
  maxNumBatchedTokens: positiveInt.max(1_048_576).default(8192),
  blockSize: z.union([z.literal(1), z.literal(8), z.literal(16), z.literal(32), z.literal(64), z.literal(128)]).default(16),
  gpuMemoryUtilization: z.number().gt(0).max(1).default(0.9),
  /** Longest prompt + output served; defaults to the smaller of the model's context and the KV cache. */
  maxModelLen: positiveInt.optional(),
  /** vLLM `--num-gpu-blocks-override`: a KV cache of exactly this many blocks (tests use it to force pressure). */
  numGpuBlocks: positiveInt.max(16_777_216).optional(),
  enablePrefixCaching: z.boolean().default(true),
  /** Seeds output lengths and text; a request's own `seed` overrides it for that request. */
  seed: z.number().int().default(0),
  /** Mean output length when a request sets no max_tokens (lengths are drawn from a seeded log-normal). */
  meanOutputTokens: positiveInt.max(65_536).default(256),
  /** Requests waiting beyond this are refused with 503, so a flood cannot grow memory without bound. */
  maxWaitingRequests: positiveInt.max(1_000_000).default(4096),
  /** Name served on /v1/models and in the `model_name` metric label; defaults to `model`. */
  servedModelName: z.string().min(1).optional(),
  port: z.number().int().min(0).max(65_535).default(0),
  host: z.string().default('127.0.0.1'),
});

export type SimEngineOptions = z.input<typeof simEngineOptionsSchema>;
type ParsedOptions = z.output<typeof simEngineOptionsSchema>;

export interface EngineCapacity {
  numGpuBlocks: number;
  blockSize: number;
  kvCacheTokens: number;
  maxModelLen: number;
  /** Full-length sequences the cache holds at once (vLLM's "maximum concurrency"), capped by maxNumSeqs. */
  maxConcurrentFullLengthSequences: number;
  weightGiBPerGpu: number;
  kvCacheGiBPerGpu: number;
}

export interface EngineConfig {
  options: Omit<ParsedOptions, 'dtype' | 'kvDtype'> & { dtype: WeightDtype; kvDtype: KvDtype; servedModelName: string };
  deployment: Deployment;
  budget: MemoryBudget;
  capacity: EngineCapacity;
}

export class SimConfigError extends Error {
  override readonly name = 'SimConfigError';
}

export function resolveEngineConfig(input: SimEngineOptions = {}): EngineConfig {
  const parsed = simEngineOptionsSchema.safeParse(input);
  if (!parsed.success) {
    throw new SimConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'options'}: ${issue.message}`).join('; '));
  }
  const options = parsed.data;
  const model = findModel(options.model);
  if (!model) throw new SimConfigError(`unknown model "${options.model}"; known: ${[...models.keys()].join(', ')}`);
  const gpu = findHardware(options.gpu);
  if (!gpu) throw new SimConfigError(`unknown gpu "${options.gpu}"; known: ${[...hardware.keys()].join(', ')}`);
  if (options.tp > 1 && gpu.interconnectGBps === undefined) throw new SimConfigError(`${gpu.name} cannot run tensor parallel`);
  const dtype = options.dtype as WeightDtype;
  const kvDtype = options.kvDtype as KvDtype;

  const budget = memoryBudget(model, gpu, {
    weightDtype: dtype,
    kvDtype,
    tensorParallel: options.tp,
    gpuMemoryUtilization: options.gpuMemoryUtilization,
    maxBatchedTokens: options.maxNumBatchedTokens,
    maxNumSeqs: options.maxNumSeqs,
  });
  const numGpuBlocks = options.numGpuBlocks ?? Math.floor(budget.kvCacheBytesPerGpu / (budget.kvBytesPerTokenPerGpu * options.blockSize));
  if (numGpuBlocks < 1) {
    throw new SimConfigError(
      `${model.name} (${dtype}, tp ${options.tp}) leaves no room for a KV cache on ${gpu.name}: ` +
        `${(budget.weightBytesPerGpu / GiB).toFixed(1)} GiB of weights per GPU of ${(budget.usableBytesPerGpu / GiB).toFixed(1)} GiB usable`,
    );
  }
  const kvCacheTokens = numGpuBlocks * options.blockSize;
  const maxModelLen = options.maxModelLen ?? Math.min(model.maxContext, kvCacheTokens);
  if (maxModelLen > kvCacheTokens) {
    throw new SimConfigError(`maxModelLen ${maxModelLen} exceeds the KV cache (${kvCacheTokens} tokens); lower it or add memory`);
  }
  if (maxModelLen > model.maxContext) throw new SimConfigError(`maxModelLen ${maxModelLen} exceeds ${model.name}'s context of ${model.maxContext}`);

  return {
    options: { ...options, dtype, kvDtype, servedModelName: options.servedModelName ?? model.id },
    deployment: { model, hardware: gpu, weightDtype: dtype, kvDtype, tensorParallel: options.tp, calibration: defaultCalibration },
    budget,
    capacity: {
      numGpuBlocks,
      blockSize: options.blockSize,
      kvCacheTokens,
      maxModelLen,
      maxConcurrentFullLengthSequences: Math.min(Math.floor(kvCacheTokens / maxModelLen), options.maxNumSeqs),
      weightGiBPerGpu: budget.weightBytesPerGpu / GiB,
      kvCacheGiBPerGpu: (numGpuBlocks * options.blockSize * budget.kvBytesPerTokenPerGpu) / GiB,
    },
  };
}
