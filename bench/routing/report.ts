/** Turns one strategy run's records into the numbers the routing benchmark reports, and the table it prints. */
import type { BackendSummary, FinishedRequest } from './engines.js';
import type { TurnRecord } from './client.js';

export interface StrategyResult {
  strategy: string;
  requests: number;
  failed: number;
  /** Engine-side (virtual) time to first token, ms. */
  ttftP50Ms: number;
  ttftP90Ms: number;
  ttftP99Ms: number;
  /** Client-side wall-clock time to the first content chunk through the gateway, ms (host-noise sensitive). */
  wallTtftP50Ms: number;
  wallTtftP90Ms: number;
  /** Completed requests per virtual second of the busiest engine's run time. */
  throughputRps: number;
  outputTokensPerSecond: number;
  prefixHitRate: number;
  /** Share of requests per backend, and the largest queue any backend had. */
  backendShares: number[];
  peakWaiting: number[];
  meanRunning: number[];
  wallSeconds: number;
  /** Engine-aware only: picks by prefix-affinity outcome (hit, diverted, none). */
  affinity?: Record<string, number>;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function summarizeRun(
  strategy: string,
  finished: readonly FinishedRequest[],
  records: readonly TurnRecord[],
  backends: readonly BackendSummary[],
  wallSeconds: number,
): StrategyResult {
  const served = finished.filter((request) => !request.aborted);
  const ttfts = served.map((request) => request.ttftSeconds * 1000);
  const wall = records.flatMap((record) => (record.firstChunkMs === undefined ? [] : [record.firstChunkMs]));
  const virtualSeconds = Math.max(...backends.map((backend) => backend.virtualSeconds));
  const queries = backends.reduce((sum, backend) => sum + backend.prefixQueries, 0);
  const hits = backends.reduce((sum, backend) => sum + backend.prefixHits, 0);
  const total = backends.reduce((sum, backend) => sum + backend.requests, 0);
  return {
    strategy,
    requests: records.length,
    failed: records.filter((record) => record.status !== 200 || record.firstChunkMs === undefined).length,
    ttftP50Ms: percentile(ttfts, 50),
    ttftP90Ms: percentile(ttfts, 90),
    ttftP99Ms: percentile(ttfts, 99),
    wallTtftP50Ms: percentile(wall, 50),
    wallTtftP90Ms: percentile(wall, 90),
    throughputRps: served.length / virtualSeconds,
    outputTokensPerSecond: served.reduce((sum, request) => sum + request.outputTokens, 0) / virtualSeconds,
    prefixHitRate: queries === 0 ? 0 : hits / queries,
    backendShares: backends.map((backend) => (total === 0 ? 0 : backend.requests / total)),
    peakWaiting: backends.map((backend) => backend.peakWaiting),
    meanRunning: backends.map((backend) => backend.meanRunning),
    wallSeconds,
  };
}

const fixed = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '–');

export function markdownTable(results: readonly StrategyResult[]): string {
  const lines = [
    '| strategy | requests (failed) | TTFT p50 ms | TTFT p90 ms | TTFT p99 ms | gateway TTFT p50 / p90 ms (wall) | req/s | output tok/s | prefix-cache hit rate | requests per backend | peak queue per backend |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const result of results) {
    lines.push(
      `| ${result.strategy} | ${result.requests} (${result.failed}) | ${fixed(result.ttftP50Ms)} | ${fixed(result.ttftP90Ms)} | ` +
        `${fixed(result.ttftP99Ms)} | ${fixed(result.wallTtftP50Ms)} / ${fixed(result.wallTtftP90Ms)} | ${fixed(result.throughputRps, 2)} | ` +
        `${fixed(result.outputTokensPerSecond)} | ${(result.prefixHitRate * 100).toFixed(1)}% | ` +
        `${result.backendShares.map((share) => `${Math.round(share * 100)}%`).join(' / ')} | ${result.peakWaiting.join(' / ')} |`,
    );
  }
  return lines.join('\n');
}
