/**
 * The flags every `switchyard plan` command takes and their mapping onto the plan input, the same object the
 * admin API receives as its body.
 */
import type { parseArgs } from 'node:util';
import type { PlanInput } from '../plan/plan-input.js';

/** The plan's flags; `plan manifests` and `plan simulate` take them too, plus their own. */
export const planFlagOptions = {
  model: { type: 'string' },
  gpu: { type: 'string' },
  dtype: { type: 'string' },
  'kv-dtype': { type: 'string' },
  tp: { type: 'string' },
  context: { type: 'string' },
  'gpu-util': { type: 'string' },
  'max-num-seqs': { type: 'string' },
  'max-batched-tokens': { type: 'string' },
  'kv-admission': { type: 'string' },
  'input-tokens': { type: 'string' },
  'output-tokens': { type: 'string' },
  'itl-ms': { type: 'string' },
  dau: { type: 'string' },
  'requests-per-user': { type: 'string' },
  'peak-factor': { type: 'string' },
  utilization: { type: 'string' },
  'min-replicas': { type: 'string' },
  price: { type: 'string' },
  api: { type: 'string' },
  'api-input-price': { type: 'string' },
  'api-output-price': { type: 'string' },
  'rate-limit-model': { type: 'string' },
  'draft-tokens': { type: 'string' },
  acceptance: { type: 'string' },
  'draft-model': { type: 'string' },
  'draft-cost': { type: 'string' },
  json: { type: 'boolean' },
  list: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type PlanFlags = ReturnType<typeof parseArgs<{ options: typeof planFlagOptions }>>['values'];

/** A flag's number, or undefined when absent; a non-number stays NaN so the schema names the flag in its error. */
function num(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}

/** Drops undefined fields so the schema's defaults apply. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function planInputFromFlags(flags: PlanFlags): PlanInput {
  const customApi = flags['api-input-price'] !== undefined || flags['api-output-price'] !== undefined;
  return defined({
    model: flags.model ?? '',
    gpu: flags.gpu ?? '',
    weightDtype: flags.dtype as PlanInput['weightDtype'],
    kvDtype: flags['kv-dtype'] as PlanInput['kvDtype'],
    tensorParallel: num(flags.tp),
    contextLength: num(flags.context),
    gpuMemoryUtilization: num(flags['gpu-util']),
    maxNumSeqs: num(flags['max-num-seqs']),
    maxBatchedTokens: num(flags['max-batched-tokens']),
    kvAdmission: flags['kv-admission'] as PlanInput['kvAdmission'],
    inputTokensPerRequest: num(flags['input-tokens']),
    outputTokensPerRequest: num(flags['output-tokens']),
    itlTargetMs: num(flags['itl-ms']),
    demand:
      flags.dau === undefined
        ? undefined
        : defined({ dailyActiveUsers: Number(flags.dau), requestsPerUserPerDay: num(flags['requests-per-user']), peakToAverage: num(flags['peak-factor']) }),
    targetUtilization: num(flags.utilization),
    minReplicas: num(flags['min-replicas']),
    gpuHourlyUsd: num(flags.price),
    api: customApi
      ? { id: flags.api ?? 'custom', inputPer1M: Number(flags['api-input-price'] ?? NaN), outputPer1M: Number(flags['api-output-price'] ?? NaN) }
      : flags.api,
    rateLimitModel: flags['rate-limit-model'],
    speculative:
      flags['draft-tokens'] === undefined
        ? undefined
        : defined({
            draftTokens: Number(flags['draft-tokens']),
            acceptanceRate: num(flags.acceptance) ?? 0.7,
            draftModel: flags['draft-model'],
            draftCostRatio: num(flags['draft-cost']),
          }),
  });
}
