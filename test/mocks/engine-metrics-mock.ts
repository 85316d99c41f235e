/**
 * A self-hosted engine's Prometheus endpoint on a loopback port, in vLLM's metric names: the load it reports is
 * set by the test (`set`), scrapes are counted, and faults can be played (a status, a slow answer, an oversized
 * page). Stands beside an OpenAI mock as the `metrics_url` of an engine-aware deployment.
 */
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EngineLoadReport {
  running: number;
  waiting: number;
  kvUsage: number;
}

export type MetricsFault = { kind: 'status'; status: number } | { kind: 'slow'; delayMs: number } | { kind: 'oversized'; bytes: number };

export interface EngineMetricsMock {
  /** `http://127.0.0.1:<port>/metrics`. */
  readonly url: string;
  readonly scrapes: number;
  set(load: Partial<EngineLoadReport>): void;
  fault(fault: MetricsFault | undefined): void;
  close(): Promise<void>;
}

export function vllmMetricsPage(load: EngineLoadReport, model = 'mock-model'): string {
  const labels = `{engine="0",model_name="${model}"}`;
  return [
    '# HELP vllm:num_requests_running Number of requests in model execution batches.',
    '# TYPE vllm:num_requests_running gauge',
    `vllm:num_requests_running${labels} ${load.running.toFixed(1)}`,
    '# HELP vllm:num_requests_waiting Number of requests waiting to be processed.',
    '# TYPE vllm:num_requests_waiting gauge',
    `vllm:num_requests_waiting${labels} ${load.waiting.toFixed(1)}`,
    '# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.',
    '# TYPE vllm:kv_cache_usage_perc gauge',
    `vllm:kv_cache_usage_perc${labels} ${load.kvUsage}`,
    '',
  ].join('\n');
}

export async function startEngineMetricsMock(initial: Partial<EngineLoadReport> = {}): Promise<EngineMetricsMock> {
  let load: EngineLoadReport = { running: 0, waiting: 0, kvUsage: 0, ...initial };
  let fault: MetricsFault | undefined;
  let scrapes = 0;
  const timers = new Set<NodeJS.Timeout>();
  const answer = (res: ServerResponse) => {
    if (fault?.kind === 'status') {
      res.writeHead(fault.status, { 'content-type': 'text/plain' }).end('unavailable');
      return;
    }
    const body = fault?.kind === 'oversized' ? `# ${'x'.repeat(fault.bytes)}\n${vllmMetricsPage(load)}` : vllmMetricsPage(load);
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body);
  };
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    scrapes += 1;
    if (fault?.kind === 'slow') {
      const timer = setTimeout(() => {
        timers.delete(timer);
        answer(res);
      }, fault.delayMs);
      timers.add(timer);
      return;
    }
    answer(res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    get scrapes() {
      return scrapes;
    },
    set(next) {
      load = { ...load, ...next };
    },
    fault(next) {
      fault = next;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
