/**
 * The engine's Prometheus metrics under vLLM's names, with the `model_name` label vLLM puts on every series, so
 * dashboards, autoscalers (KEDA on `vllm:num_requests_waiting`) and engine-aware routers treat the simulator as
 * they treat vLLM. One registry per engine: several simulated servers can live in one process. Latencies are in
 * virtual seconds. Histogram buckets are vLLM's.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EngineObserver, SimEngine } from './engine.js';

const ttftBuckets = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560];
const itlBuckets = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80];
const requestBuckets = [0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680];

export interface EngineMetrics {
  registry: Registry;
  observer: EngineObserver;
}

export function createEngineMetrics(engine: SimEngine): EngineMetrics {
  const registry = new Registry();
  const modelName = engine.config.options.servedModelName;
  const labelNames = ['model_name'] as const;
  const labels = { model_name: modelName };
  const registers = [registry];

  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.set(labels, read());
      },
    });
  gauge('vllm:num_requests_running', 'Number of requests in model execution batches.', () => engine.snapshot().running);
  gauge('vllm:num_requests_waiting', 'Number of requests waiting to be processed.', () => engine.snapshot().waiting);
  gauge('vllm:kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.', () => engine.snapshot().kvCacheUsage);
  gauge('vllm:gpu_cache_usage_perc', 'GPU KV-cache usage. 1 means 100 percent usage (deprecated name).', () => engine.snapshot().kvCacheUsage);
  const { capacity } = engine.config;
  new Gauge({
    name: 'vllm:cache_config_info',
    help: 'Information of the LLMEngine CacheConfig.',
    labelNames: ['model_name', 'block_size', 'num_gpu_blocks', 'enable_prefix_caching'],
    registers,
  }).set({ model_name: modelName, block_size: String(capacity.blockSize), num_gpu_blocks: String(capacity.numGpuBlocks),
    enable_prefix_caching: String(engine.config.options.enablePrefixCaching) }, 1);

  // Bound and zeroed, so every series is exported from the first scrape (rate() needs the zero).
  const counter = (name: string, help: string) => {
    const child = new Counter({ name, help, labelNames, registers }).labels(labels);
    child.inc(0);
    return child;
  };
  const preemptions = counter('vllm:num_preemptions_total', 'Cumulative number of preemptions from the engine.');
  const prefixQueries = counter('vllm:prefix_cache_queries_total', 'Prefix cache queries, in terms of number of queried tokens.');
  const prefixHits = counter('vllm:prefix_cache_hits_total', 'Prefix cache hits, in terms of number of cached tokens.');
  const promptTokens = counter('vllm:prompt_tokens_total', 'Number of prefill tokens processed.');
  const generationTokens = counter('vllm:generation_tokens_total', 'Number of generation tokens processed.');
  const success = new Counter({ name: 'vllm:request_success_total', help: 'Count of successfully processed requests.',
    labelNames: ['model_name', 'finished_reason'], registers });

  const histogram = (name: string, help: string, buckets: number[]) => new Histogram({ name, help, buckets, labelNames, registers }).labels(labels);
  const ttft = histogram('vllm:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', ttftBuckets);
  const itl = histogram('vllm:inter_token_latency_seconds', 'Histogram of inter-token latency in seconds.', itlBuckets);
  const tpot = histogram('vllm:time_per_output_token_seconds', 'Histogram of time per output token in seconds (deprecated name of inter_token_latency).', itlBuckets);
  const e2e = histogram('vllm:e2e_request_latency_seconds', 'Histogram of e2e request latency in seconds.', requestBuckets);
  const queue = histogram('vllm:request_queue_time_seconds', 'Histogram of time spent in WAITING phase for request.', requestBuckets);

  const observer: EngineObserver = {
    scheduled(sequence, time) {
      queue.observe(time - sequence.arrivalTime);
    },
    token(sequence, time, previousTokenTime) {
      generationTokens.inc();
      if (previousTokenTime === undefined) {
        promptTokens.inc(sequence.promptLength);
        ttft.observe(time - sequence.arrivalTime);
        return;
      }
      itl.observe(time - previousTokenTime);
      tpot.observe(time - previousTokenTime);
    },
    finished(sequence, reason, time) {
      e2e.observe(time - sequence.arrivalTime);
      success.inc({ model_name: modelName, finished_reason: reason });
    },
    stepped(plan) {
      if (plan.preempted.length > 0) preemptions.inc(plan.preempted.length);
      if (plan.prefixQueryTokens > 0) prefixQueries.inc(plan.prefixQueryTokens);
      if (plan.prefixHitTokens > 0) prefixHits.inc(plan.prefixHitTokens);
    },
  };
  return { registry, observer };
}
