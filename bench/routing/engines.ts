/**
 * The benchmark's backends: N simulated vLLM engines (`src/sim`), each observed from inside, so latencies are
 * the engines' virtual-time measurements (what a GPU would show), unaffected by how busy the host is. Also
 * samples each engine's queue while the run lasts and reads its prefix-cache counters from `/metrics`.
 */
import { parsePrometheusText } from '../../src/routing/engine-metrics/prometheus-text.js';
import { startSimEngine, type RunningSimEngine, type SimEngineOptions } from '../../src/sim/index.js';

export interface FinishedRequest {
  backend: number;
  /** Virtual seconds from arrival at the engine to its first output token. */
  ttftSeconds: number;
  promptTokens: number;
  cachedPromptTokens: number;
  outputTokens: number;
  finishedAt: number;
  aborted: boolean;
}

export interface BackendSummary {
  backend: number;
  requests: number;
  /** Largest number of requests seen waiting in its queue (sampled). */
  peakWaiting: number;
  /** Mean requests running, over the samples. */
  meanRunning: number;
  prefixQueries: number;
  prefixHits: number;
  /** Virtual seconds the engine ran. */
  virtualSeconds: number;
}

export interface Backends {
  engines: RunningSimEngine[];
  finished: FinishedRequest[];
  /** Stops sampling and reads every engine's counters. */
  summarize(): Promise<BackendSummary[]>;
  close(): Promise<void>;
}

export async function startBackends(count: number, options: SimEngineOptions): Promise<Backends> {
  const engines = await Promise.all(Array.from({ length: count }, (_, index) => startSimEngine({ ...options, seed: index + 1 })));
  const finished: FinishedRequest[] = [];
  engines.forEach((sim, backend) => {
    sim.engine.observe({
      scheduled() {},
      token() {},
      stepped() {},
      finished(sequence, reason, time) {
        finished.push({
          backend,
          ttftSeconds: (sequence.firstTokenTime ?? time) - sequence.arrivalTime,
          promptTokens: sequence.promptLength,
          cachedPromptTokens: sequence.cachedPromptTokens,
          outputTokens: sequence.numOutputTokens,
          finishedAt: time,
          aborted: reason === 'abort',
        });
      },
    });
  });
  const peakWaiting = engines.map(() => 0);
  const runningSum = engines.map(() => 0);
  let samples = 0;
  const sampler = setInterval(() => {
    samples += 1;
    engines.forEach((sim, index) => {
      const snapshot = sim.engine.snapshot();
      peakWaiting[index] = Math.max(peakWaiting[index]!, snapshot.waiting);
      runningSum[index]! += snapshot.running;
    });
  }, 20);

  return {
    engines,
    finished,
    async summarize() {
      clearInterval(sampler);
      return Promise.all(
        engines.map(async (sim, backend) => {
          const page = await (await fetch(`${sim.url}/metrics`)).text();
          const samplesOf = parsePrometheusText(page, (name) => name.startsWith('vllm:prefix_cache_'));
          const value = (name: string) => samplesOf.filter((sample) => sample.name === name).reduce((sum, sample) => sum + sample.value, 0);
          return {
            backend,
            requests: finished.filter((request) => request.backend === backend && !request.aborted).length,
            peakWaiting: peakWaiting[backend]!,
            meanRunning: samples === 0 ? 0 : runningSum[backend]! / samples,
            prefixQueries: value('vllm:prefix_cache_queries_total'),
            prefixHits: value('vllm:prefix_cache_hits_total'),
            virtualSeconds: sim.engine.snapshot().time,
          };
        }),
      );
    },
    async close() {
      clearInterval(sampler);
      await Promise.all(engines.map((sim) => sim.close()));
    },
  };
}
