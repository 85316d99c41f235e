/**
 * The serving engines manifests can run: vLLM and Hugging Face TGI. Each maps the plan's engine settings onto its
 * command-line flags, and names the Prometheus gauge of requests waiting for a batch slot that autoscaling follows.
 */
import type { PlanReport } from '../plan.js';
import type { AcceleratorVendor } from './accelerators.js';

export type EngineId = 'vllm' | 'tgi';

export interface ServedModel {
  repository: string;
  servedName: string;
}

export interface EngineSpec {
  id: EngineId;
  /** Pinned releases: a manifest that pulls `latest` changes under you. */
  image: Record<AcceleratorVendor, string>;
  port: number;
  /** Where the Hugging Face cache lives inside the container. */
  cachePath: string;
  args(report: PlanReport, model: ServedModel): string[];
  /** Gauge of requests queued for a batch slot, as the engine exports it. */
  queueMetric: string;
  /** The same gauge as a Prometheus adapter exposes it to the HPA (no colons in custom-metric names). */
  adapterMetric: string;
  /** PromQL selector for one deployment's series. */
  selector(namespace: string, name: string, model: ServedModel): string;
}

const vllmDtype: Partial<Record<string, string[]>> = {
  fp32: ['--dtype', 'float32'],
  fp16: ['--dtype', 'float16'],
  bf16: ['--dtype', 'bfloat16'],
  // Dynamic FP8: vLLM quantises a 16-bit checkpoint as it loads it.
  fp8: ['--quantization', 'fp8'],
};

const tgiDtype: Partial<Record<string, string[]>> = {
  fp16: ['--dtype', 'float16'],
  bf16: ['--dtype', 'bfloat16'],
  fp8: ['--quantize', 'fp8'],
};

const vllm: EngineSpec = {
  id: 'vllm',
  image: { nvidia: 'vllm/vllm-openai:v0.11.0', amd: 'rocm/vllm:latest' },
  port: 8000,
  cachePath: '/root/.cache/huggingface',
  args(report, model) {
    const { engine } = report;
    return [
      '--model', model.repository,
      '--served-model-name', model.servedName,
      '--tensor-parallel-size', String(engine.tensorParallel ?? 1),
      '--max-model-len', String(engine.contextLength),
      '--gpu-memory-utilization', String(engine.gpuMemoryUtilization),
      '--max-num-seqs', String(engine.maxNumSeqs),
      '--max-num-batched-tokens', String(engine.maxBatchedTokens),
      ...(vllmDtype[engine.weightDtype] ?? []),
      ...(engine.kvDtype === 'fp8' ? ['--kv-cache-dtype', 'fp8'] : []),
      '--port', '8000',
    ];
  },
  queueMetric: 'vllm:num_requests_waiting',
  adapterMetric: 'vllm_num_requests_waiting',
  selector: (namespace, _name, model) => `{namespace="${namespace}",model_name="${model.servedName}"}`,
};

const tgi: EngineSpec = {
  id: 'tgi',
  image: {
    nvidia: 'ghcr.io/huggingface/text-generation-inference:3.3.0',
    amd: 'ghcr.io/huggingface/text-generation-inference:3.3.0-rocm',
  },
  port: 8080,
  cachePath: '/data',
  args(report, model) {
    const { engine, memory } = report;
    return [
      '--model-id', model.repository,
      '--num-shard', String(engine.tensorParallel ?? 1),
      '--max-input-tokens', String(engine.contextLength - 1),
      '--max-total-tokens', String(engine.contextLength),
      '--max-batch-prefill-tokens', String(engine.maxBatchedTokens),
      // TGI sizes its batch by tokens; the plan's KV cache is that budget.
      '--max-batch-total-tokens', String(Math.floor(memory.kvCacheTokens)),
      '--cuda-memory-fraction', String(engine.gpuMemoryUtilization),
      ...(tgiDtype[engine.weightDtype] ?? []),
      ...(engine.kvDtype === 'fp8' ? ['--kv-cache-dtype', 'fp8_e4m3fn'] : []),
      '--port', '8080',
    ];
  },
  queueMetric: 'tgi_queue_size',
  adapterMetric: 'tgi_queue_size',
  selector: (namespace, name) => `{namespace="${namespace}",pod=~"${name}-.*"}`,
};

export const engines: Readonly<Record<EngineId, EngineSpec>> = { vllm, tgi };

/** Weight formats an engine loads from a 16-bit checkpoint by itself; others need a pre-quantised repository. */
export function loadsFrom16Bit(engine: EngineSpec, weightDtype: string): boolean {
  return (engine.id === 'vllm' ? vllmDtype : tgiDtype)[weightDtype] !== undefined;
}
