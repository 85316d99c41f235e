/**
 * Turns one scrape of an inference engine's `/metrics` page into the load reading the router scores:
 * requests running, requests waiting and KV-cache use (0..1). Engines name these differently; the family is
 * recognised from the metric names on the page, so a deployment needs no engine setting for it. Series of the
 * same metric (one per model name or data-parallel rank) are added up for counts; for KV use the fullest wins,
 * since a saturated rank is what the next request may meet.
 */
import { parsePrometheusText, type Sample } from './prometheus-text.js';

export interface EngineReading {
  /** Which metric family the reading came from (`vllm`, `sglang`, `tgi`, `llamacpp`). */
  engine: string;
  running: number;
  waiting: number;
  /** Share of the KV cache in use, 0..1; undefined when the engine does not report it (TGI). */
  kvUsage?: number;
  /** Monotonic ms (the router's clock) when the scrape started: the reading is no older than that. */
  at: number;
}

interface MetricFamily {
  engine: string;
  running: readonly string[];
  waiting: readonly string[];
  /** KV-cache use, first name found wins; each already a 0..1 ratio. */
  kvUsage: readonly string[];
}

export const engineMetricFamilies: readonly MetricFamily[] = [
  {
    engine: 'vllm',
    running: ['vllm:num_requests_running'],
    waiting: ['vllm:num_requests_waiting'],
    // `gpu_cache_usage_perc` is the name before vLLM 0.10; both are ratios despite the suffix.
    kvUsage: ['vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc'],
  },
  {
    engine: 'sglang',
    running: ['sglang:num_running_reqs'],
    waiting: ['sglang:num_queue_reqs'],
    kvUsage: ['sglang:token_usage'],
  },
  { engine: 'tgi', running: ['tgi_batch_current_size'], waiting: ['tgi_queue_size'], kvUsage: [] },
  {
    engine: 'llamacpp',
    running: ['llamacpp:requests_processing'],
    waiting: ['llamacpp:requests_deferred'],
    kvUsage: ['llamacpp:kv_cache_usage_ratio'],
  },
];

const wantedNames = new Set(engineMetricFamilies.flatMap((family) => [...family.running, ...family.waiting, ...family.kvUsage]));

/** Only the series a reading is made of; the rest of the page is skipped unparsed. */
export function isEngineLoadMetric(name: string): boolean {
  return wantedNames.has(name);
}

/**
 * The reading in a scraped page, or undefined when the page has none of the known families (wrong URL, an
 * engine that exports nothing useful). A family counts as present when its running or waiting series is.
 */
export function readEngineLoad(text: string, at: number): EngineReading | undefined {
  return engineReadingOf(parsePrometheusText(text, isEngineLoadMetric), at);
}

export function engineReadingOf(samples: readonly Sample[], at: number): EngineReading | undefined {
  const byName = new Map<string, number[]>();
  for (const sample of samples) {
    if (!Number.isFinite(sample.value) || sample.value < 0) continue;
    const values = byName.get(sample.name);
    if (values === undefined) byName.set(sample.name, [sample.value]);
    else values.push(sample.value);
  }
  for (const family of engineMetricFamilies) {
    const running = sumOf(byName, family.running);
    const waiting = sumOf(byName, family.waiting);
    if (running === undefined && waiting === undefined) continue;
    const kvUsage = maxOf(byName, family.kvUsage);
    return {
      engine: family.engine,
      running: running ?? 0,
      waiting: waiting ?? 0,
      ...(kvUsage === undefined ? {} : { kvUsage: Math.min(1, kvUsage) }),
      at,
    };
  }
  return undefined;
}

function sumOf(byName: ReadonlyMap<string, number[]>, names: readonly string[]): number | undefined {
  for (const name of names) {
    const values = byName.get(name);
    if (values !== undefined) return values.reduce((sum, value) => sum + value, 0);
  }
  return undefined;
}

function maxOf(byName: ReadonlyMap<string, number[]>, names: readonly string[]): number | undefined {
  for (const name of names) {
    const values = byName.get(name);
    if (values !== undefined) return Math.max(...values);
  }
  return undefined;
}
