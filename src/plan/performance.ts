/**
 * Roofline latency and throughput. A forward pass takes the longer of its compute time (FLOPs / effective FLOP/s)
 * and its memory time (bytes read / effective bandwidth), plus tensor-parallel all-reduces. Prefill is compute-bound
 * (2 × active params × tokens, plus causal attention); a decode step is memory-bound (weights once per step, plus
 * every sequence's KV), with compute as the ceiling once the batch is large.
 */
import { computeRate, memoryBandwidth, type Calibration } from './calibration.js';
import { weightFormats, type KvDtype, type WeightDtype } from './dtypes.js';
import type { Hardware } from './hardware.js';
import { kvBytesPerTokenPerGpu, weightBytes } from './memory.js';
import { expertParams, routedExpertParams, type ModelConfig } from './models.js';

export interface Deployment {
  model: ModelConfig;
  hardware: Hardware;
  weightDtype: WeightDtype;
  kvDtype: KvDtype;
  tensorParallel: number;
  calibration: Calibration;
}

export type Bound = 'memory' | 'compute';

export interface PassTime {
  seconds: number;
  computeSeconds: number;
  memorySeconds: number;
  /** Tensor-parallel all-reduce time (not overlapped with compute). */
  communicationSeconds: number;
  bound: Bound;
}

/** Attention FLOPs per token per token of context: QKᵀ and AV, 2 FLOPs per multiply-add, all layers and heads. */
export function attentionFlopsPerContextToken(model: ModelConfig): number {
  return 2 * model.layers * model.attentionHeads * (model.headDim + (model.valueHeadDim ?? model.headDim));
}

/** Expected distinct experts a batch of `tokens` touches per layer, each token picking k of E uniformly. */
export function expectedExpertsTouched(experts: number, activeExperts: number, tokens: number): number {
  return experts * (1 - (1 - activeExperts / experts) ** tokens);
}

/**
 * Weight bytes one forward pass over `tokens` reads. The input embedding is a row lookup, not a read of the table;
 * an MoE layer reads only the experts its tokens were routed to.
 */
export function weightBytesRead(model: ModelConfig, dtype: WeightDtype, tokens: number): number {
  const format = weightFormats[dtype];
  const lookupOnly = model.tiedEmbeddings ? 0 : model.vocabSize * model.hiddenSize;
  const lookupBytes = lookupOnly * (format.embeddingsIn16Bit ? 2 : format.bitsPerWeight / 8);
  const all = weightBytes(model, dtype) - lookupBytes;
  if (!model.moe) return all;
  const bytesPerParam = format.bitsPerWeight / 8;
  const touched = expectedExpertsTouched(model.moe.experts, model.moe.activeExperts, tokens);
  return all - routedExpertParams(model) * bytesPerParam + model.moe.moeLayers * touched * expertParams(model) * bytesPerParam;
}

/**
 * Two ring all-reduces per layer (after attention and after the MLP), each moving 2 × (tp − 1)/tp of the
 * 16-bit activations per rank, plus a fixed latency per collective.
 */
export function allReduceSeconds(deployment: Deployment, tokens: number): number {
  const { tensorParallel: tp, model, hardware, calibration } = deployment;
  if (tp === 1) return 0;
  if (hardware.interconnectGBps === undefined) {
    throw new RangeError(`${hardware.name} has no GPU interconnect: tensor parallelism is not possible`);
  }
  const bytes = ((2 * (tp - 1)) / tp) * tokens * model.hiddenSize * 2;
  const perCollective = calibration.allReduceLatencySeconds + bytes / (hardware.interconnectGBps * 1e9 * calibration.allReduceBandwidthEfficiency);
  return 2 * model.layers * perCollective;
}

/** One forward pass of `tokens` doing `flops` in all and reading `bytesPerGpu` on each GPU, on the roofline. */
export function rooflinePass(deployment: Deployment, flops: number, bytesPerGpu: number, tokens: number): PassTime {
  const { hardware, calibration, tensorParallel } = deployment;
  const rate = computeRate(hardware, weightFormats[deployment.weightDtype].compute, calibration);
  const computeSeconds = flops / tensorParallel / rate.flopsPerSecond;
  const memorySeconds = bytesPerGpu / memoryBandwidth(hardware, calibration);
  const communicationSeconds = allReduceSeconds(deployment, tokens);
  return {
    seconds: smoothMax(computeSeconds, memorySeconds, calibration.rooflineSmoothing) + communicationSeconds,
    computeSeconds,
    memorySeconds,
    communicationSeconds,
    bound: computeSeconds > memorySeconds ? 'compute' : 'memory',
  };
}

/** (cᵖ + mᵖ)^(1/p): the roofline's max away from the ridge point, more than it near the ridge. */
export function smoothMax(a: number, b: number, exponent: number): number {
  if (exponent === Number.POSITIVE_INFINITY) return Math.max(a, b);
  const larger = Math.max(a, b);
  if (larger === 0) return 0;
  return larger * ((a / larger) ** exponent + (b / larger) ** exponent) ** (1 / exponent);
}

/** Processing a prompt of `promptTokens` at batch 1: the time to first token, queueing and network excluded. */
export function prefillTime(deployment: Deployment, promptTokens: number): PassTime {
  const { model } = deployment;
  const flops = 2 * model.activeParams * promptTokens + (attentionFlopsPerContextToken(model) * promptTokens ** 2) / 2;
  const bytes = weightBytesRead(model, deployment.weightDtype, promptTokens) / deployment.tensorParallel;
  return rooflinePass(deployment, flops, bytes, promptTokens);
}

/** One decode step for `batch` sequences of `context` tokens each: the inter-token latency at that load. */
export function decodeStepTime(deployment: Deployment, batch: number, context: number): PassTime {
  const { model, tensorParallel } = deployment;
  const flops = batch * (2 * model.activeParams + attentionFlopsPerContextToken(model) * context);
  const kvBytes = batch * context * kvBytesPerTokenPerGpu(model, deployment.kvDtype, tensorParallel);
  const bytes = weightBytesRead(model, deployment.weightDtype, batch) / tensorParallel + kvBytes;
  return rooflinePass(deployment, flops, bytes, batch);
}

export interface Workload {
  inputTokens: number;
  outputTokens: number;
}

/**
 * How an engine admits a request against its KV cache. vLLM allocates blocks as tokens are produced (and preempts
 * when the cache runs out), so the cache holds sequences at their mean length; TensorRT-LLM's default capacity
 * scheduler (GUARANTEED_NO_EVICT) reserves blocks for the prompt plus the full output at admission.
 */
export type KvAdmission = 'on-demand' | 'reserve-full';

export interface BatchLimits {
  maxNumSeqs: number;
  kvAdmission: KvAdmission;
  /** Inter-token latency target: the batch stops growing where a decode step would exceed it. */
  maxStepSeconds?: number;
}

export interface SaturatedThroughput {
  /** Sequences decoding together. */
  batch: number;
  /** Mean context during decode: the prompt plus half the output. */
  meanContext: number;
  step: PassTime;
  /** Output tokens per second for the whole replica (all its GPUs). */
  outputTokensPerSecond: number;
  requestsPerSecond: number;
  outputTokensPerSecondPerGpu: number;
}

/**
 * A replica under sustained load (continuous batching, chunked prefill): the batch grows until the KV cache (under
 * the engine's admission policy), the `maxNumSeqs` cap, or the inter-token-latency target stops it. Each request costs its prefill compute plus its
 * share of the decode steps; the prefill's weight reads ride along with the decode step it is batched into.
 */
export function saturatedThroughput(
  deployment: Deployment,
  kvCacheTokens: number,
  workload: Workload,
  limits: BatchLimits,
): SaturatedThroughput {
  const meanContext = workload.inputTokens + workload.outputTokens / 2;
  const reservedPerRequest = limits.kvAdmission === 'reserve-full' ? workload.inputTokens + workload.outputTokens : meanContext;
  let batch = Math.min(limits.maxNumSeqs, Math.floor(kvCacheTokens / reservedPerRequest));
  const { maxStepSeconds } = limits;
  if (maxStepSeconds !== undefined) batch = largestBatchWithin(deployment, batch, meanContext, maxStepSeconds);
  if (batch < 1) {
    const step = decodeStepTime(deployment, 1, meanContext);
    return { batch: 0, meanContext, step, outputTokensPerSecond: 0, requestsPerSecond: 0, outputTokensPerSecondPerGpu: 0 };
  }
  const step = decodeStepTime(deployment, batch, meanContext);
  const prefill = prefillTime(deployment, workload.inputTokens);
  const secondsPerRequest = prefill.computeSeconds + prefill.communicationSeconds + (workload.outputTokens * step.seconds) / batch;
  const outputTokensPerSecond = workload.outputTokens / secondsPerRequest;
  return {
    batch,
    meanContext,
    step,
    outputTokensPerSecond,
    requestsPerSecond: 1 / secondsPerRequest,
    outputTokensPerSecondPerGpu: outputTokensPerSecond / deployment.tensorParallel,
  };
}

/** Step time grows with the batch, so the largest batch under a latency target is a binary search. */
function largestBatchWithin(deployment: Deployment, upper: number, context: number, maxStepSeconds: number): number {
  let low = 0;
  let high = upper;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (decodeStepTime(deployment, mid, context).seconds <= maxStepSeconds) low = mid;
    else high = mid - 1;
  }
  return low;
}
