/**
 * `switchyard sim`: starts the simulated inference engine (src/sim) on a port and serves until SIGINT/SIGTERM.
 * Flags follow vLLM's `vllm serve` names. It prints where it listens and the capacity the model derives (KV
 * blocks, max model length, concurrency) so a run can be compared with a real engine's startup log.
 */
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { resolveEngineConfig, SimConfigError, startSimEngine, type EngineConfig, type SimEngineOptions } from '../sim/index.js';

export const simUsage = `Usage: switchyard sim [options]

Runs an OpenAI-compatible engine whose latency comes from the capacity model: continuous batching, KV cache in
blocks, prefix cache, preemption, vLLM-named metrics on /metrics.

  --model <id>                     model (switchyard plan --list; default llama-3.1-8b)
  --gpu <id>                       GPU (default h100)
  --tp <n>                         tensor-parallel GPUs: 1 2 4 8 (default 1)
  --dtype <dtype>                  weights (default bf16)
  --kv-cache-dtype <dtype>         KV cache: fp16 bf16 fp8 (default bf16)
  --port <n>                       (default 8500; 0 = any free port)
  --host <addr>                    (default 127.0.0.1)
  --time-scale <x>                 real seconds per simulated second (default 1; 0.01 = 100× faster)
  --max-num-seqs <n>               (default 256)
  --max-num-batched-tokens <n>     token budget per step (default 8192)
  --block-size <n>                 KV block tokens (default 16)
  --gpu-memory-utilization <x>     (default 0.9)
  --max-model-len <n>              (default: model context, capped by the KV cache)
  --num-gpu-blocks-override <n>    a KV cache of exactly n blocks
  --no-enable-prefix-caching       disable the prefix cache
  --seed <n>                       output text and length seed (default 0)
  --mean-output-tokens <n>         mean drawn length when a request sets no max_tokens (default 256)
  --served-model-name <name>       name on /v1/models and in metric labels (default: --model)
  -h, --help                       show this help
`;

const flags = {
  model: { type: 'string' },
  gpu: { type: 'string' },
  tp: { type: 'string' },
  dtype: { type: 'string' },
  'kv-cache-dtype': { type: 'string' },
  port: { type: 'string', default: '8500' },
  host: { type: 'string' },
  'time-scale': { type: 'string' },
  'max-num-seqs': { type: 'string' },
  'max-num-batched-tokens': { type: 'string' },
  'block-size': { type: 'string' },
  'gpu-memory-utilization': { type: 'string' },
  'max-model-len': { type: 'string' },
  'num-gpu-blocks-override': { type: 'string' },
  'no-enable-prefix-caching': { type: 'boolean' },
  seed: { type: 'string' },
  'mean-output-tokens': { type: 'string' },
  'served-model-name': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type SimArgs = { help: true } | { help: false; options: SimEngineOptions };

function number(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) throw new SimConfigError(`--${flag} must be a number, got "${value}"`);
  return parsed;
}

/** Flags to engine options; throws SimConfigError with the flag's name on a bad value. */
export function parseSimArgs(args: readonly string[]): SimArgs {
  let values;
  try {
    ({ values } = parseArgs({ args: [...args], options: flags, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new SimConfigError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return { help: true };
  const options: SimEngineOptions = {
    model: values.model,
    gpu: values.gpu,
    tp: number('tp', values.tp) as SimEngineOptions['tp'],
    dtype: values.dtype,
    kvDtype: values['kv-cache-dtype'],
    port: number('port', values.port),
    host: values.host,
    timeScale: number('time-scale', values['time-scale']),
    maxNumSeqs: number('max-num-seqs', values['max-num-seqs']),
    maxNumBatchedTokens: number('max-num-batched-tokens', values['max-num-batched-tokens']),
    blockSize: number('block-size', values['block-size']) as SimEngineOptions['blockSize'],
    gpuMemoryUtilization: number('gpu-memory-utilization', values['gpu-memory-utilization']),
    maxModelLen: number('max-model-len', values['max-model-len']),
    numGpuBlocks: number('num-gpu-blocks-override', values['num-gpu-blocks-override']),
    enablePrefixCaching: values['no-enable-prefix-caching'] ? false : undefined,
    seed: number('seed', values.seed),
    meanOutputTokens: number('mean-output-tokens', values['mean-output-tokens']),
    servedModelName: values['served-model-name'],
  };
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as SimEngineOptions;
  return { help: false, options: defined };
}

const count = (value: number) => value.toLocaleString('en-US');

/** The startup summary, in the spirit of vLLM's "# GPU blocks" and "Maximum concurrency" log lines. */
export function describeEngine(config: EngineConfig, url: string): string {
  const { deployment, capacity, options } = config;
  const gpus = `${deployment.tensorParallel}× ${deployment.hardware.name}`;
  return [
    `switchyard sim: ${deployment.model.name} on ${gpus} (weights ${options.dtype}, KV cache ${options.kvDtype}), time scale ${options.timeScale}`,
    `  listening on ${url}/v1 (served model "${options.servedModelName}"; ${url}/metrics, ${url}/health)`,
    `  weights ${capacity.weightGiBPerGpu.toFixed(2)} GiB/GPU, KV cache ${capacity.kvCacheGiBPerGpu.toFixed(2)} GiB/GPU`,
    `  KV blocks ${count(capacity.numGpuBlocks)} × ${capacity.blockSize} tokens = ${count(capacity.kvCacheTokens)} tokens` +
      `; prefix caching ${options.enablePrefixCaching ? 'on' : 'off'}`,
    `  max_model_len ${count(capacity.maxModelLen)}, max_num_seqs ${options.maxNumSeqs}, max_num_batched_tokens ${count(options.maxNumBatchedTokens)}`,
    `  maximum concurrency for ${count(capacity.maxModelLen)}-token requests: ${(capacity.kvCacheTokens / capacity.maxModelLen).toFixed(2)}×` +
      `; for 2,048-token requests: ${Math.min(Math.floor(capacity.kvCacheTokens / 2048), options.maxNumSeqs)} sequences`,
    '',
  ].join('\n');
}

/** Runs the command until SIGINT or SIGTERM; returns the exit code. */
export async function runSimCli(args: readonly string[]): Promise<number> {
  let parsed: SimArgs;
  try {
    parsed = parseSimArgs(args);
    if (!parsed.help) resolveEngineConfig(parsed.options);
  } catch (error) {
    process.stderr.write(`switchyard sim: ${error instanceof Error ? error.message : String(error)}\n\n${simUsage}`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(simUsage);
    return 0;
  }
  const sim = await startSimEngine(parsed.options);
  process.stdout.write(describeEngine(sim.engine.config, sim.url));
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  await sim.close();
  return 0;
}
