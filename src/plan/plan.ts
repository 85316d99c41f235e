/**
 * `planCapacity(input)`: the one entry point the CLI and the admin API call. It resolves the catalogue entries,
 * sizes memory and tensor parallelism, estimates latency and throughput, and (given demand) the fleet, its cost
 * against an API, and the provider rate-limit tier the same load would need.
 */
import type { z } from 'zod';
import { defaultCalibration } from './calibration.js';
import { apiPrices, crossover, monthlyApiCost, monthlySelfHostedCost, type ApiPrice, type Crossover } from './cost.js';
import { demandProfile, replicasRequired, type DemandProfile } from './demand.js';
import type { KvDtype, WeightDtype } from './dtypes.js';
import { weightFormats } from './dtypes.js';
import { findHardware, hardware as hardwareCatalogue, type Hardware } from './hardware.js';
import { GiB, maxConcurrency, maxConcurrentSequences, memoryBudget, minTensorParallel, weightBytes, type EngineSettings } from './memory.js';
import { findModel, models, type ModelConfig } from './models.js';
import { decodeStepTime, prefillTime, saturatedThroughput, type Bound, type Deployment } from './performance.js';
import { planInputSchema, type ParsedPlanInput, type PlanInput } from './plan-input.js';
import { providerLimits, tierFor, type TierFit } from './rate-limits.js';
import { bestDraftLength, expectedTokensPerRound, speculativeSpeedup } from './speculative.js';

/** Bad input: unknown model or GPU, invalid numbers. The message says what to change; `param` names the field. */
export class PlanInputError extends Error {
  override readonly name = 'PlanInputError';
  constructor(
    message: string,
    /** The input field at fault (`gpu`, `demand.dailyActiveUsers`), as the admin API reports it. */
    readonly param?: string,
  ) {
    super(message);
  }
}

export interface PlanReport {
  model: Pick<ModelConfig, 'id' | 'name' | 'repository' | 'totalParams' | 'activeParams' | 'maxContext' | 'source'>;
  hardware: Pick<Hardware, 'id' | 'name' | 'memoryGiB' | 'memoryBandwidthGBps' | 'tflops16' | 'tflopsFp8' | 'hourlyUsd' | 'priceNote'>;
  engine: Omit<EngineSettings, 'tensorParallel'> & { tensorParallel?: number; contextLength: number };
  memory: {
    weightGiBPerGpu: number;
    activationGiBPerGpu: number;
    overheadGiBPerGpu: number;
    kvCacheGiBPerGpu: number;
    kvBytesPerToken: number;
    kvCacheTokens: number;
    /** Full-context requests the cache holds (vLLM's "Maximum concurrency"). */
    maxConcurrency: number;
    maxConcurrentSequences: number;
    fits: boolean;
  };
  performance?: {
    ttftMs: number;
    prefillBound: Bound;
    itlMsAtBatch1: number;
    tokensPerSecondAtBatch1: number;
    servingBatch: number;
    itlMsAtServingBatch: number;
    decodeBound: Bound;
    replicaOutputTokensPerSecond: number;
    outputTokensPerSecondPerGpu: number;
    replicaRequestsPerSecond: number;
  };
  demand?: DemandProfile & { replicas: number; gpus: number };
  cost?: { gpuHourlyUsd: number; api: ApiPrice; crossover: Crossover; selfHostedMonthlyUsd?: number; apiMonthlyUsd?: number };
  rateLimits?: TierFit;
  speculative?: {
    draftTokens: number;
    acceptanceRate: number;
    draftCostRatio: number;
    expectedTokensPerRound: number;
    speedup: number;
    itlMsWithSpeculation: number;
    bestDraftTokens: number;
    bestSpeedup: number;
  };
  assumptions: string[];
  warnings: string[];
}

/** A schema failure as one PlanInputError: every problem in the message, the first one's field as `param`. */
export function planInputError(error: z.ZodError): PlanInputError {
  const field = (issue: z.core.$ZodIssue) =>
    [...issue.path, ...(issue.code === 'unrecognized_keys' ? issue.keys.slice(0, 1) : [])].join('.');
  const problems = error.issues.map((issue) => `${field(issue) || 'input'}: ${issue.message}`);
  const first = error.issues[0];
  return new PlanInputError(`invalid plan input: ${problems.join('; ')}`, first === undefined ? undefined : field(first) || undefined);
}

export function parsePlanInput(input: unknown): ParsedPlanInput {
  const parsed = planInputSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw planInputError(parsed.error);
}

function resolve<T>(kind: string, param: string, id: string, find: (id: string) => T | undefined, known: Iterable<string>): T {
  const found = find(id);
  if (found === undefined) throw new PlanInputError(`unknown ${kind} "${id}"; known: ${[...known].join(', ')}`, param);
  return found;
}

function resolveApiPrice(api: ParsedPlanInput['api']): ApiPrice {
  if (typeof api !== 'string') return { ...api, source: 'user supplied' };
  return resolve('API price list', 'api', api, (id) => apiPrices.get(id), apiPrices.keys());
}

export function planCapacity(rawInput: PlanInput): PlanReport {
  const input = parsePlanInput(rawInput);
  const model = resolve('model', 'model', input.model, findModel, models.keys());
  const hw = resolve('gpu', 'gpu', input.gpu, findHardware, hardwareCatalogue.keys());
  const weightDtype: WeightDtype = input.weightDtype ?? (hw.kind === 'apple-silicon' ? 'gguf-q4_k_m' : 'bf16');
  const kvDtype: KvDtype = input.kvDtype;
  const contextLength = input.contextLength ?? Math.min(8192, model.maxContext);
  const calibration = defaultCalibration;
  const warnings: string[] = [];
  const percent = (share: number) => `${Math.round(share * 100)}%`;
  const assumptions = [
    `decode reaches ${percent(calibration.decodeBandwidthEfficiency[hw.kind])} of peak memory bandwidth; prefill ` +
      `${percent(calibration.prefillEfficiency16Bit)} of the 16-bit / ${percent(calibration.prefillEfficiency8Bit)} of the 8-bit tensor peak`,
    `GPU price $${input.gpuHourlyUsd ?? hw.hourlyUsd}/h (${input.gpuHourlyUsd === undefined ? hw.priceNote : 'user supplied'})`,
    'continuous batching with chunked prefill; TTFT excludes queueing and network time',
  ];
  if (contextLength > model.maxContext) {
    warnings.push(`context ${contextLength} exceeds ${model.name}'s native window of ${model.maxContext}`);
  }
  const compute = weightFormats[weightDtype].compute;
  if ((compute === 'fp8' && hw.tflopsFp8 === undefined) || (compute === 'int8' && hw.topsInt8 === undefined)) {
    warnings.push(`${hw.name} has no ${compute.toUpperCase()} tensor cores: GEMMs are estimated at the 16-bit rate`);
  }

  const settings = {
    weightDtype,
    kvDtype,
    gpuMemoryUtilization: input.gpuMemoryUtilization,
    maxBatchedTokens: input.maxBatchedTokens,
    maxNumSeqs: input.maxNumSeqs,
  };
  const tensorParallel = input.tensorParallel ?? minTensorParallel(model, hw, settings, contextLength);
  const budget = memoryBudget(model, hw, { ...settings, tensorParallel: tensorParallel ?? 1 });
  const report: PlanReport = {
    model: {
      id: model.id,
      name: model.name,
      repository: model.repository,
      totalParams: model.totalParams,
      activeParams: model.activeParams,
      maxContext: model.maxContext,
      source: model.source,
    },
    hardware: {
      id: hw.id,
      name: hw.name,
      memoryGiB: hw.memoryGiB,
      memoryBandwidthGBps: hw.memoryBandwidthGBps,
      tflops16: hw.tflops16,
      ...(hw.tflopsFp8 === undefined ? {} : { tflopsFp8: hw.tflopsFp8 }),
      hourlyUsd: hw.hourlyUsd,
      priceNote: hw.priceNote,
    },
    engine: { ...settings, ...(tensorParallel === undefined ? {} : { tensorParallel }), contextLength },
    memory: {
      weightGiBPerGpu: budget.weightBytesPerGpu / GiB,
      activationGiBPerGpu: budget.activationBytesPerGpu / GiB,
      overheadGiBPerGpu: budget.overheadBytesPerGpu / GiB,
      kvCacheGiBPerGpu: budget.kvCacheBytesPerGpu / GiB,
      kvBytesPerToken: budget.kvBytesPerToken,
      kvCacheTokens: budget.kvCacheTokens,
      maxConcurrency: maxConcurrency(budget, contextLength),
      maxConcurrentSequences: Math.max(maxConcurrentSequences(budget, contextLength, input.maxNumSeqs), 0),
      fits: tensorParallel !== undefined && budget.kvCacheTokens >= contextLength,
    },
    assumptions,
    warnings,
  };
  if (tensorParallel === undefined || !report.memory.fits) {
    const weightsGiB = weightBytes(model, weightDtype) / GiB;
    warnings.push(
      `${model.name} in ${weightDtype} (${weightsGiB.toFixed(1)} GiB of weights) does not leave room for one ${contextLength}-token request on ` +
        `${tensorParallel ?? 'up to 8'} × ${hw.name}: use more GPUs, a smaller dtype, or a shorter context`,
    );
    return report;
  }

  const deployment: Deployment = { model, hardware: hw, weightDtype, kvDtype, tensorParallel, calibration };
  const workload = { inputTokens: input.inputTokensPerRequest, outputTokens: input.outputTokensPerRequest };
  const meanContext = workload.inputTokens + workload.outputTokens / 2;
  const prefill = prefillTime(deployment, workload.inputTokens);
  const single = decodeStepTime(deployment, 1, meanContext);
  const saturated = saturatedThroughput(deployment, budget.kvCacheTokens, workload, {
    maxNumSeqs: input.maxNumSeqs,
    kvAdmission: input.kvAdmission,
    ...(input.itlTargetMs === undefined ? {} : { maxStepSeconds: input.itlTargetMs / 1000 }),
  });
  if (saturated.batch === 0) warnings.push(`no batch meets the ${input.itlTargetMs} ms inter-token target on this deployment`);
  report.performance = {
    ttftMs: prefill.seconds * 1000,
    prefillBound: prefill.bound,
    itlMsAtBatch1: single.seconds * 1000,
    tokensPerSecondAtBatch1: 1 / single.seconds,
    servingBatch: saturated.batch,
    itlMsAtServingBatch: saturated.step.seconds * 1000,
    decodeBound: saturated.step.bound,
    replicaOutputTokensPerSecond: saturated.outputTokensPerSecond,
    outputTokensPerSecondPerGpu: saturated.outputTokensPerSecondPerGpu,
    replicaRequestsPerSecond: saturated.requestsPerSecond,
  };

  const gpuHourlyUsd = input.gpuHourlyUsd ?? hw.hourlyUsd;
  const api = resolveApiPrice(input.api);
  const replicaMonthlyUsd = monthlySelfHostedCost(1, tensorParallel, gpuHourlyUsd);
  const peakToAverage = input.demand?.peakToAverage ?? 3;
  report.cost = {
    gpuHourlyUsd,
    api,
    crossover: crossover({
      price: api,
      inputTokensPerRequest: workload.inputTokens,
      outputTokensPerRequest: workload.outputTokens,
      replicaMonthlyUsd,
      replicaRequestsPerSecond: saturated.requestsPerSecond * input.targetUtilization,
      peakToAverage,
      minReplicas: input.minReplicas,
    }),
  };

  if (input.demand) {
    const profile = demandProfile({
      ...input.demand,
      inputTokensPerRequest: workload.inputTokens,
      outputTokensPerRequest: workload.outputTokens,
    });
    const replicas = replicasRequired(profile.peakRequestsPerSecond, saturated.requestsPerSecond, input.targetUtilization, input.minReplicas);
    report.demand = { ...profile, replicas, gpus: replicas * tensorParallel };
    report.cost.selfHostedMonthlyUsd = monthlySelfHostedCost(replicas, tensorParallel, gpuHourlyUsd);
    report.cost.apiMonthlyUsd = monthlyApiCost(api, profile.monthlyInputTokens, profile.monthlyOutputTokens);
    const limits = resolve('rate-limit model', 'rateLimitModel', input.rateLimitModel, (id) => providerLimits.get(id), providerLimits.keys());
    report.rateLimits = tierFor(limits, profile.peakRequestsPerMinute, profile.peakTokensPerMinute);
  }

  if (input.speculative) {
    report.speculative = speculativeEstimate(input.speculative, model, weightDtype, single.seconds, assumptions);
  }
  return report;
}

/** Speculative decoding on top of the batch-1 inter-token latency. */
function speculativeEstimate(
  spec: NonNullable<ParsedPlanInput['speculative']>,
  model: ModelConfig,
  weightDtype: WeightDtype,
  targetStepSeconds: number,
  assumptions: string[],
): NonNullable<PlanReport['speculative']> {
  const { draftTokens, acceptanceRate, draftModel } = spec;
  let draftCostRatio = spec.draftCostRatio;
  if (draftCostRatio === undefined && draftModel !== undefined) {
    const draft = resolve('draft model', 'speculative.draftModel', draftModel, findModel, models.keys());
    draftCostRatio = weightBytes(draft, weightDtype) / weightBytes(model, weightDtype);
    assumptions.push(`a draft step costs the draft's weight bytes over the target's (${draft.name}: ${draftCostRatio.toFixed(3)})`);
  }
  if (draftCostRatio === undefined) {
    draftCostRatio = 0.1;
    assumptions.push('a draft step is assumed to cost 0.1 of a target step (no draft model or ratio given)');
  }
  const speedup = speculativeSpeedup(draftTokens, acceptanceRate, draftCostRatio);
  const best = bestDraftLength(acceptanceRate, draftCostRatio);
  return {
    draftTokens,
    acceptanceRate,
    draftCostRatio,
    expectedTokensPerRound: expectedTokensPerRound(draftTokens, acceptanceRate),
    speedup,
    itlMsWithSpeculation: (targetStepSeconds * 1000) / speedup,
    bestDraftTokens: best.draftTokens,
    bestSpeedup: best.speedup,
  };
}
