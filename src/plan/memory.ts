/**
 * GPU memory: weights, KV cache per token, the engine's reserve, and what that leaves for concurrent sequences.
 * The budget follows vLLM's accounting (`gpu_memory_utilization` × total, minus weights, minus the activation peak
 * of a profiling forward pass over `max_num_batched_tokens`, minus non-torch memory), split over tensor-parallel
 * ranks. Sizes are bytes; GiB = 2^30 bytes, as vLLM and nvidia-smi report them.
 */
import { kvBytesPerElement, weightFormats, type KvDtype, type WeightDtype } from './dtypes.js';
import type { Hardware } from './hardware.js';
import { embeddingParams, type ModelConfig } from './models.js';

export const GiB = 2 ** 30;

/** Engine settings that decide the memory split; defaults are vLLM's. */
export interface EngineSettings {
  weightDtype: WeightDtype;
  kvDtype: KvDtype;
  tensorParallel: number;
  /** vLLM `--gpu-memory-utilization`. */
  gpuMemoryUtilization: number;
  /** vLLM `--max-num-batched-tokens`: the profiling pass (and each step) processes at most this many tokens. */
  maxBatchedTokens: number;
  /** vLLM `--max-num-seqs`: the most sequences in one batch. */
  maxNumSeqs: number;
}

export const defaultEngineSettings: Omit<EngineSettings, 'weightDtype' | 'kvDtype' | 'tensorParallel'> = {
  gpuMemoryUtilization: 0.9,
  maxBatchedTokens: 8192,
  maxNumSeqs: 256,
};

/** Memory the driver keeps (CUDA reports 23.58 GiB of an RTX 3090's 24, 79.2 of an H100's 80). */
export const driverReservedGiB = 0.5;
/** CUDA context, cuBLAS workspaces, NCCL buffers: vLLM logs `non_torch_memory=0.35GiB` on one RTX 3090. */
export const runtimeOverheadGiB = 0.5;
/** vLLM allocates the KV cache in blocks of 16 tokens. */
export const kvBlockTokens = 16;

/** Bytes of all weights. Quantised formats keep the embedding table and LM head in 16-bit (see `WeightFormat`). */
export function weightBytes(model: ModelConfig, dtype: WeightDtype): number {
  const format = weightFormats[dtype];
  if (!format.embeddingsIn16Bit) return (model.totalParams * format.bitsPerWeight) / 8;
  const embeddings = embeddingParams(model);
  return ((model.totalParams - embeddings) * format.bitsPerWeight) / 8 + embeddings * 2;
}

/**
 * KV cache bytes one token adds across all layers: 2 (K and V) × layers × KV heads × head dim × bytes, or for
 * MLA one latent (+ RoPE key) per layer shared by all heads.
 */
export function kvBytesPerToken(model: ModelConfig, kvDtype: KvDtype): number {
  const bytes = kvBytesPerElement[kvDtype];
  if (model.mla) return model.layers * (model.mla.kvLoraRank + model.mla.ropeHeadDim) * bytes;
  const valueDim = model.valueHeadDim ?? model.headDim;
  return model.layers * model.kvHeads * (model.headDim + valueDim) * bytes;
}

/**
 * The share of each token's KV one tensor-parallel rank stores: KV heads are split across ranks, and replicated
 * once there are more ranks than heads. MLA's latent is not per head, so every rank keeps all of it.
 */
export function kvBytesPerTokenPerGpu(model: ModelConfig, kvDtype: KvDtype, tensorParallel: number): number {
  const full = kvBytesPerToken(model, kvDtype);
  if (model.mla) return full;
  const headsPerRank = Math.max(model.kvHeads / tensorParallel, 1);
  return (full * headsPerRank) / model.kvHeads;
}

/** MLP width a token passes through: the dense MLP, or its routed plus shared experts. */
function activeIntermediateSize(model: ModelConfig): number {
  if (!model.moe) return model.intermediateSize;
  return (model.moe.activeExperts + model.moe.sharedExperts) * model.moe.expertIntermediateSize;
}

/**
 * Peak activation memory of the profiling pass, per rank: gate/up output (2 × MLP width) and activated output
 * (1 ×) split across ranks, two residual-stream buffers, 16-bit; plus FP32 logits for `maxNumSeqs` sampled rows.
 * Against vLLM's log for Llama-3.1-8B over 20,000 tokens (peak 17.06 GiB − weights 14.99 GiB = 2.07 GiB) this
 * gives 2.03 GiB.
 */
export function activationBytesPerGpu(model: ModelConfig, settings: EngineSettings): number {
  const tp = settings.tensorParallel;
  const perToken = ((3 * activeIntermediateSize(model)) / tp + 2 * model.hiddenSize) * 2;
  const logits = (settings.maxNumSeqs * model.vocabSize * 4) / tp;
  return settings.maxBatchedTokens * perToken + logits;
}

export interface MemoryBudget {
  /** Memory the engine may use per GPU. */
  usableBytesPerGpu: number;
  weightBytesPerGpu: number;
  activationBytesPerGpu: number;
  overheadBytesPerGpu: number;
  kvCacheBytesPerGpu: number;
  kvBytesPerToken: number;
  kvBytesPerTokenPerGpu: number;
  /** Tokens the replica's KV cache holds, whole blocks only. */
  kvCacheTokens: number;
  /** The weights and one block of KV fit. */
  fits: boolean;
}

export function memoryBudget(model: ModelConfig, hw: Hardware, settings: EngineSettings): MemoryBudget {
  const tp = settings.tensorParallel;
  const usable = (hw.memoryGiB * hw.usableMemoryFraction - driverReservedGiB) * GiB * settings.gpuMemoryUtilization;
  const weights = weightBytes(model, settings.weightDtype) / tp;
  const activations = activationBytesPerGpu(model, settings);
  const overhead = runtimeOverheadGiB * GiB;
  const kvCache = Math.max(usable - weights - activations - overhead, 0);
  const perTokenPerGpu = kvBytesPerTokenPerGpu(model, settings.kvDtype, tp);
  const kvCacheTokens = Math.floor(kvCache / (perTokenPerGpu * kvBlockTokens)) * kvBlockTokens;
  return {
    usableBytesPerGpu: usable,
    weightBytesPerGpu: weights,
    activationBytesPerGpu: activations,
    overheadBytesPerGpu: overhead,
    kvCacheBytesPerGpu: kvCache,
    kvBytesPerToken: kvBytesPerToken(model, settings.kvDtype),
    kvBytesPerTokenPerGpu: perTokenPerGpu,
    kvCacheTokens,
    fits: kvCacheTokens > 0,
  };
}

/** vLLM's "Maximum concurrency for N tokens per request: X×": how many full-length requests the cache holds. */
export function maxConcurrency(budget: MemoryBudget, tokensPerRequest: number): number {
  return budget.kvCacheTokens / tokensPerRequest;
}

/** Sequences that can run at once at a context length: bounded by the KV cache and by `maxNumSeqs`. */
export function maxConcurrentSequences(budget: MemoryBudget, contextLength: number, maxNumSeqs: number): number {
  return Math.min(Math.floor(budget.kvCacheTokens / contextLength), maxNumSeqs);
}

export const tensorParallelOptions = [1, 2, 4, 8] as const;

/** The smallest tensor-parallel degree whose cache holds one request of `contextLength`; undefined if none does. */
export function minTensorParallel(
  model: ModelConfig,
  hw: Hardware,
  settings: Omit<EngineSettings, 'tensorParallel'>,
  contextLength: number,
): number | undefined {
  if (hw.interconnectGBps === undefined) {
    return memoryBudget(model, hw, { ...settings, tensorParallel: 1 }).kvCacheTokens >= contextLength ? 1 : undefined;
  }
  return tensorParallelOptions.find(
    (tensorParallel) => memoryBudget(model, hw, { ...settings, tensorParallel }).kvCacheTokens >= contextLength,
  );
}
