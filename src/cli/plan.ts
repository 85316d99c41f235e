/**
 * `switchyard plan`: flags in, `planCapacity` out, as a table for people or JSON for scripts. The command is a
 * function of its arguments (no process access), so tests call it directly.
 */
import { parseArgs } from 'node:util';
import { hardware } from '../plan/hardware.js';
import { models } from '../plan/models.js';
import { PlanInputError, planCapacity, type PlanReport } from '../plan/plan.js';
import { planFlagOptions, planInputFromFlags, type PlanFlags } from './plan-flags.js';
import { runPlanManifestsCommand } from './plan-manifests.js';
import { runPlanSimulateCommand } from './plan-simulate.js';

export { planInputFromFlags };

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export const planUsage = `Usage: switchyard plan --model <id> --gpu <id> [options]
       switchyard plan manifests --model <id> --gpu <id> [options]   Kubernetes manifests (plan manifests --help)
       switchyard plan simulate --model <id> --gpu <id> [options]    autoscaling what-if (plan simulate --help)

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

const subcommands: Readonly<Record<string, (args: readonly string[]) => CommandResult>> = {
  manifests: runPlanManifestsCommand,
  simulate: runPlanSimulateCommand,
};

export function runPlanCommand(args: readonly string[]): CommandResult {
  const subcommand = args[0] === undefined ? undefined : subcommands[args[0]];
  if (subcommand !== undefined) return subcommand(args.slice(1));
  let flags: PlanFlags;
  try {
    flags = parseArgs({ args: [...args], options: planFlagOptions, strict: true, allowPositionals: false }).values;
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
