/**
 * `switchyard plan`: flags in, `planCapacity` out, as a table for people or JSON for scripts. The command is a
 * function of its arguments (no process access), so tests call it directly.
 */
import { parseArgs } from 'node:util';
import { hardware } from '../plan/hardware.js';
import { models } from '../plan/models.js';
import { PlanInputError, planCapacity, type PlanReport } from '../plan/plan.js';
import type { PlanInput } from '../plan/plan-input.js';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export const planUsage = `Usage: switchyard plan --model <id> --gpu <id> [options]

Estimates GPU memory, latency, throughput, fleet size and cost for serving a model.

Model and engine:
  --model <id>              model (see --list)
  --gpu <id>                GPU or machine (see --list; h100 = h100-sxm, a100 = a100-80gb)
  --dtype <dtype>           weights: fp16 bf16 fp8 int8 int4 gguf-q8_0 gguf-q4_k_m gguf-q4_0 fp32
  --kv-dtype <dtype>        KV cache: fp16 bf16 fp8 (default fp16)
  --tp <n>                  tensor-parallel GPUs per replica (default: the fewest that fit)
  --context <tokens>        context length for the concurrency figure (default 8192)
  --gpu-util <share>        vLLM gpu_memory_utilization (default 0.9)
  --max-num-seqs <n>        vLLM max_num_seqs (default 256)
  --max-batched-tokens <n>  vLLM max_num_batched_tokens (default 8192)
  --kv-admission <policy>   on-demand (vLLM) or reserve-full (TensorRT-LLM default)

Workload and fleet:
  --input-tokens <n>        prompt tokens per request (default 1000)
  --output-tokens <n>       output tokens per request (default 250)
  --itl-ms <ms>             inter-token latency target; caps the batch
  --dau <users>             daily active users (enables fleet, cost and rate-limit sections)
  --requests-per-user <n>   requests per user per day (default 10)
  --peak-factor <x>         busiest minute over the daily mean (default 3)
  --utilization <share>     target replica utilisation at peak (default 0.7)
  --min-replicas <n>        (default 1)

Cost:
  --price <usd>             GPU $/hour (default: the catalogue's assumed price)
  --api <id>                API to compare against: gpt-4o-mini (default), gpt-4o
  --api-input-price <usd>   custom API price per 1M input tokens (with --api-output-price)
  --api-output-price <usd>  custom API price per 1M output tokens
  --rate-limit-model <id>   OpenAI model whose tiers to check: gpt-4o-mini (default), gpt-4o

Speculative decoding:
  --draft-tokens <k>        draft length (enables the section)
  --acceptance <alpha>      per-token acceptance rate (default 0.7)
  --draft-model <id>        draft model (its weight size sets the draft cost)
  --draft-cost <ratio>      draft step time over target step time

  --json                    print the full report as JSON
  --list                    list known models and GPUs
  -h, --help                show this help
`;

const options = {
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

type Flags = ReturnType<typeof parseArgs<{ options: typeof options }>>['values'];

/** A flag's number, or undefined when absent; a non-number stays NaN so the schema names the flag in its error. */
function num(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}

/** Drops undefined fields so the schema's defaults apply. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function planInputFromFlags(flags: Flags): PlanInput {
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

export function runPlanCommand(args: readonly string[]): CommandResult {
  let flags: Flags;
  try {
    flags = parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    return { exitCode: 2, stdout: '', stderr: `${(error as Error).message}\n\n${planUsage}` };
  }
  if (flags.help) return { exitCode: 0, stdout: planUsage, stderr: '' };
  if (flags.list) return { exitCode: 0, stdout: catalogueListing(), stderr: '' };
  if (flags.model === undefined || flags.gpu === undefined) {
    return { exitCode: 2, stdout: '', stderr: `--model and --gpu are required\n\n${planUsage}` };
  }
  try {
    const report = planCapacity(planInputFromFlags(flags));
    return { exitCode: 0, stdout: flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatPlanReport(report), stderr: '' };
  } catch (error) {
    if (error instanceof PlanInputError || error instanceof RangeError) return { exitCode: 2, stdout: '', stderr: `${error.message}\n` };
    throw error;
  }
}

function catalogueListing(): string {
  const lines = ['Models:'];
  for (const m of models.values()) lines.push(`  ${m.id.padEnd(16)} ${m.name} (${(m.totalParams / 1e9).toFixed(1)} B params)`);
  lines.push('', 'GPUs and machines:');
  for (const h of hardware.values()) lines.push(`  ${h.id.padEnd(16)} ${h.name}, ${h.memoryGiB} GB, ${h.memoryBandwidthGBps} GB/s, ~$${h.hourlyUsd}/h`);
  return `${lines.join('\n')}\n`;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const fixed = (n: number, digits = 1) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const usd = (n: number) => `$${fixed(n, 2)}`;

type Row = readonly [key: string, value: string];
type Section = readonly [title: string, rows: readonly Row[]];

/** Key/value rows under section headings, keys padded to one column; empty sections are left out. */
function table(sections: readonly Section[]): string {
  const width = Math.max(...sections.flatMap(([, rows]) => rows.map(([key]) => key.length)));
  return sections
    .filter(([, rows]) => rows.length > 0)
    .map(([title, rows]) => [title, ...rows.map(([key, value]) => `  ${key.padEnd(width)}  ${value}`)].join('\n'))
    .join('\n\n');
}

export function formatPlanReport(report: PlanReport): string {
  const { engine, memory, performance: perf, demand, cost, rateLimits, speculative: spec } = report;
  const gpus = engine.tensorParallel === undefined ? 'does not fit' : `${engine.tensorParallel} × ${report.hardware.name}`;
  const crossing = cost?.crossover.requestsPerMonth;
  const sections: Section[] = [
    [`${report.model.name} on ${report.hardware.name}`, [
      ['replica', gpus],
      ['weights / KV cache', `${engine.weightDtype} / ${engine.kvDtype}`],
    ]],
    ['Memory (per GPU)', [
      ['weights', `${fixed(memory.weightGiBPerGpu, 2)} GiB`],
      ['activations + runtime', `${fixed(memory.activationGiBPerGpu + memory.overheadGiBPerGpu, 2)} GiB`],
      ['KV cache', `${fixed(memory.kvCacheGiBPerGpu, 2)} GiB (${int(memory.kvCacheTokens)} tokens per replica)`],
      ['KV per token', `${fixed(memory.kvBytesPerToken / 1024, 1)} KiB`],
      [`concurrency at ${int(engine.contextLength)} tokens`, `${fixed(memory.maxConcurrency, 2)}× (${int(memory.maxConcurrentSequences)} sequences)`],
    ]],
    ['Latency and throughput (per replica)', perf ? [
      ['TTFT', `${fixed(perf.ttftMs)} ms (${perf.prefillBound}-bound)`],
      ['ITL at batch 1', `${fixed(perf.itlMsAtBatch1)} ms (${int(perf.tokensPerSecondAtBatch1)} tok/s)`],
      [`ITL at batch ${perf.servingBatch}`, `${fixed(perf.itlMsAtServingBatch)} ms (${perf.decodeBound}-bound)`],
      ['output throughput', `${int(perf.replicaOutputTokensPerSecond)} tok/s (${int(perf.outputTokensPerSecondPerGpu)} per GPU)`],
      ['requests', `${fixed(perf.replicaRequestsPerSecond, 2)} /s`],
    ] : []],
    ['Demand and fleet', demand ? [
      ['requests per day', int(demand.requestsPerDay)],
      ['tokens per minute', `${int(demand.averageTokensPerMinute)} average, ${int(demand.peakTokensPerMinute)} peak`],
      ['replicas', `${int(demand.replicas)} (${int(demand.gpus)} GPUs)`],
    ] : []],
    ['Cost (monthly)', cost ? [
      ['GPU price', `${usd(cost.gpuHourlyUsd)}/h`],
      ...(cost.selfHostedMonthlyUsd === undefined ? [] : [['self-hosted', usd(cost.selfHostedMonthlyUsd)] satisfies Row]),
      ...(cost.apiMonthlyUsd === undefined ? [] : [[`API (${cost.api.id})`, usd(cost.apiMonthlyUsd)] satisfies Row]),
      ['crossover', crossing === undefined ? `never: self-hosting costs more per request than ${cost.api.id}`
        : `${int(crossing)} requests (${fixed(cost.crossover.tokensPerMonth! / 1e9, 2)} B tokens)`],
    ] : []],
    ['Provider rate limits', rateLimits ? [
      [`${rateLimits.provider} ${rateLimits.model}`, rateLimits.tier
        ? `${rateLimits.tier.tier} (${rateLimits.tier.qualification})`
        : `beyond the top tier (${fixed(rateLimits.topTierLoad, 1)}× its limit)`],
      ['peak load', `${int(rateLimits.requestsPerMinute)} RPM, ${int(rateLimits.tokensPerMinute)} TPM`],
    ] : []],
    ['Speculative decoding', spec ? [
      [`k = ${spec.draftTokens}, α = ${spec.acceptanceRate}`, `${fixed(spec.expectedTokensPerRound, 2)} tokens per round, ${fixed(spec.speedup, 2)}× speed-up`],
      ['ITL at batch 1', `${fixed(spec.itlMsWithSpeculation)} ms`],
      ['best draft length', `k = ${spec.bestDraftTokens} (${fixed(spec.bestSpeedup, 2)}×)`],
    ] : []],
    ['Notes', [...report.warnings.map((w): Row => ['warning', w]), ...report.assumptions.map((a): Row => ['assumption', a])]],
  ];
  return `${table(sections)}\n`;
}
