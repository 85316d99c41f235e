/**
 * The planner's input, validated at the edge (CLI flags, admin API body). Everything but the model and the
 * hardware has a default; `planCapacity` fills the ones that depend on the hardware.
 */
import { z } from 'zod';
import { kvBytesPerElement, weightFormats, type KvDtype, type WeightDtype } from './dtypes.js';

const weightDtypes = Object.keys(weightFormats) as [WeightDtype, ...WeightDtype[]];
const kvDtypes = Object.keys(kvBytesPerElement) as [KvDtype, ...KvDtype[]];

const positive = z.number().positive();
const count = z.number().int().positive();
const share = z.number().gt(0).lte(1);

/** Strict at every level, so a misspelt field in an API body is refused rather than silently defaulted. */
export const planInputSchema = z.strictObject({
  /** Catalogue id, e.g. `llama-3.1-8b`. */
  model: z.string().min(1),
  /** Catalogue id or alias, e.g. `h100`. */
  gpu: z.string().min(1),
  /** Defaults to bf16 on GPUs and GGUF Q4_K_M on Apple silicon. */
  weightDtype: z.enum(weightDtypes).optional(),
  kvDtype: z.enum(kvDtypes).default('fp16'),
  /** Defaults to the smallest degree (1, 2, 4, 8) whose KV cache holds one `contextLength` request. */
  tensorParallel: count.optional(),
  /** Context length the concurrency figure is given for; defaults to 8,192 or the model's window if smaller. */
  contextLength: count.optional(),
  gpuMemoryUtilization: share.default(0.9),
  maxBatchedTokens: count.default(8192),
  maxNumSeqs: count.default(256),
  /** `on-demand` as vLLM allocates KV; `reserve-full` as TensorRT-LLM's default scheduler reserves prompt + output. */
  kvAdmission: z.enum(['on-demand', 'reserve-full']).default('on-demand'),
  inputTokensPerRequest: count.default(1000),
  outputTokensPerRequest: count.default(250),
  /** Inter-token latency target; caps the batch a replica runs at. */
  itlTargetMs: positive.optional(),
  demand: z
    .strictObject({
      dailyActiveUsers: positive,
      requestsPerUserPerDay: positive.default(10),
      peakToAverage: z.number().gte(1).default(3),
    })
    .optional(),
  targetUtilization: share.default(0.7),
  minReplicas: count.default(1),
  /** Overrides the catalogue's assumed hourly price. */
  gpuHourlyUsd: positive.optional(),
  /** API to compare against: a price list id, or explicit prices. */
  api: z
    .union([z.string(), z.strictObject({ id: z.string().default('custom'), inputPer1M: z.number().nonnegative(), outputPer1M: z.number().nonnegative() })])
    .default('gpt-4o-mini'),
  /** Provider model whose rate-limit tiers the load is checked against. */
  rateLimitModel: z.string().default('gpt-4o-mini'),
  speculative: z
    .strictObject({
      draftTokens: z.number().int().min(1).max(32),
      acceptanceRate: z.number().min(0).max(1),
      /** Draft step time over target step time; defaults to the ratio of the two models' weight bytes. */
      draftCostRatio: z.number().nonnegative().optional(),
      draftModel: z.string().optional(),
    })
    .optional(),
});

export type PlanInput = z.input<typeof planInputSchema>;
export type ParsedPlanInput = z.output<typeof planInputSchema>;
