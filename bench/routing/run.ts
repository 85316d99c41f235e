/**
 * `npm run bench:routing` (DESIGN.md §5, §9): the same seeded shared-prefix workload through the real gateway
 * against 4 simulated vLLM engines, once per deployment-selection strategy, fresh engines each time. Reports
 * the engines' own (virtual-time) TTFT, the client's wall-clock TTFT, throughput, prefix-cache hit rate from the
 * engines' metrics, and per-backend load.
 *
 *   npm run bench:routing -- [--strategies weighted,least_outstanding,engine_aware] [--time-scale 0.2]
 *     [--duration 150] [--session-rate 1.2] [--backends 4] [--gpu l4] [--seed 7]
 *     [--scrape-virtual-ms 100] [--stale-ms 200] [--saturation-queue 5] [--saturation-kv 0.8] [--json out.json]
 */
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { closeNodeServer, createNodeServer } from '../../src/api/node-server.js';
import { parseConfig } from '../../src/config/load.js';
import { startGateway } from '../../src/gateway.js';
import { parsePrometheusText } from '../../src/routing/engine-metrics/prometheus-text.js';
import { playWorkload } from './client.js';
import { startBackends } from './engines.js';
import { markdownTable, summarizeRun, type StrategyResult } from './report.js';
import { buildWorkload, defaultWorkload } from './workload.js';

const { values } = parseArgs({
  options: {
    strategies: { type: 'string', default: 'weighted,least_outstanding,engine_aware' },
    'time-scale': { type: 'string', default: '0.2' },
    duration: { type: 'string', default: String(defaultWorkload.durationSeconds) },
    'session-rate': { type: 'string', default: String(defaultWorkload.sessionRate) },
    backends: { type: 'string', default: '4' },
    gpu: { type: 'string', default: 'l4' },
    model: { type: 'string', default: 'llama-3.1-8b' },
    seed: { type: 'string', default: String(defaultWorkload.seed) },
    /** Engine-aware scrape interval, ms of engine (virtual) time; the gateway's setting is this × time scale. */
    'scrape-virtual-ms': { type: 'string', default: '100' },
    /** Engine-aware staleness, real ms (the gateway's own default). */
    'stale-ms': { type: 'string', default: '200' },
    'saturation-queue': { type: 'string', default: '5' },
    'saturation-kv': { type: 'string', default: '0.8' },
    json: { type: 'string' },
  },
});

const timeScale = Number(values['time-scale']);
const backendCount = Number(values.backends);
const model = values.model;
const workload = buildWorkload({
  ...defaultWorkload,
  seed: Number(values.seed),
  durationSeconds: Number(values.duration),
  sessionRate: Number(values['session-rate']),
});
const turns = workload.sessions.reduce((sum, session) => sum + session.userTurns.length, 0);
console.error(
  `workload: ${workload.sessions.length} sessions, ${turns} turns, ${workload.systemPrompts.length} system prompts; ` +
    `${backendCount} × ${model} on ${values.gpu}, time scale ${timeScale}`,
);

// Scraping keeps pace with the engines' clock (100 ms of engine time between scrapes); staleness stays the
// gateway's default in real time, since what makes a reading late on a busy host is host time.
const scrapeIntervalMs = Math.max(10, Math.round(Number(values['scrape-virtual-ms']) * timeScale));
const staleAfterMs = Number(values['stale-ms']);
const saturation = { queue: Number(values['saturation-queue']), kv: Number(values['saturation-kv']) };

/** Engine-aware picks by prefix-affinity outcome, from the gateway's own metrics. */
function affinityOutcomes(page: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const sample of parsePrometheusText(page, (name) => name === 'switchyard_routing_prefix_affinity_total')) {
    counts[sample.labels.outcome ?? 'unknown'] = sample.value;
  }
  return counts;
}

async function runStrategy(strategy: string): Promise<StrategyResult> {
  const backends = await startBackends(backendCount, { model, gpu: values.gpu, timeScale });
  const config = parseConfig(
    {
      server: { host: '127.0.0.1', port: 0 },
      providers: Object.fromEntries(
        backends.engines.map((sim, index) => [`backend-${index}`, { type: 'openai-compatible', engine: 'vllm', base_url: `${sim.url}/v1` }]),
      ),
      models: {
        [model]: {
          routing: strategy as 'weighted',
          engine_aware: { scrape_interval_ms: scrapeIntervalMs, stale_after_ms: staleAfterMs, saturation },
          deployments: backends.engines.map((_, index) => ({ provider: `backend-${index}`, model, weight: 1 })),
        },
      },
      resilience: { health_checks: { enabled: false } },
    },
    process.env,
    'bench',
  );
  const gateway = startGateway(config);
  const server = createNodeServer(gateway);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const started = performance.now();
  try {
    const records = await playWorkload(url, model, workload, timeScale);
    const wallSeconds = (performance.now() - started) / 1000;
    const summaries = await backends.summarize();
    const affinity = affinityOutcomes(await (await fetch(`${url}/metrics`)).text());
    return { ...summarizeRun(strategy, backends.finished, records, summaries, wallSeconds), affinity };
  } finally {
    await closeNodeServer(server, gateway, 1000);
    await backends.close();
  }
}

const results: StrategyResult[] = [];
for (const strategy of values.strategies.split(',')) {
  const result = await runStrategy(strategy);
  console.error(
    `${strategy}: ${result.requests} requests in ${result.wallSeconds.toFixed(1)} s, TTFT p90 ${result.ttftP90Ms.toFixed(0)} ms` +
      (result.affinity === undefined || Object.keys(result.affinity).length === 0 ? '' : `, affinity ${JSON.stringify(result.affinity)}`),
  );
  results.push(result);
}
console.log(markdownTable(results));
const baseline = results.find((result) => result.strategy === 'weighted');
const engineAware = results.find((result) => result.strategy === 'engine_aware');
if (baseline !== undefined && engineAware !== undefined) {
  console.log(`\nTTFT p90: weighted / engine_aware = ${(baseline.ttftP90Ms / engineAware.ttftP90Ms).toFixed(2)}× (target ≥ 2×)`);
}
if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify({ workload: workload.options, timeScale, results }, null, 2)}\n`);
