/**
 * Metrics of engine-aware routing: each engine's load as last scraped (`switchyard_upstream_queue`, `_running`,
 * `_kv_usage`, fresh readings only, so an engine nobody sends traffic to shows no stale numbers), what prefix
 * affinity decided per pick, and scrape outcomes. Labels are configured model and deployment names only.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { EngineAwareRouter } from '../routing/engine-aware/engine-aware-router.js';

export function observeEngineRouting(router: EngineAwareRouter, registry: Registry): void {
  const gauge = (name: string, help: string, value: (reading: ReturnType<EngineAwareRouter['loads']>[number]['reading']) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['deployment'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const load of router.loads()) {
          const current = load.fresh ? value(load.reading) : undefined;
          if (current !== undefined) this.set({ deployment: load.deployment }, current);
        }
      },
    });
  gauge('switchyard_upstream_queue', 'Requests waiting in the engine behind a deployment (engine-aware routing).', (r) => r.waiting);
  gauge('switchyard_upstream_running', 'Requests running in the engine behind a deployment (engine-aware routing).', (r) => r.running);
  gauge('switchyard_upstream_kv_usage', 'Share of the KV cache in use in the engine behind a deployment, 0..1.', (r) => r.kvUsage);

  const affinity = new Counter({
    name: 'switchyard_routing_prefix_affinity_total',
    help: 'Engine-aware picks by prefix-affinity outcome: hit (longest prefix holder), diverted (it was saturated or unknown), none.',
    labelNames: ['model', 'outcome'] as const,
    registers: [registry],
  });
  router.onAffinity((model, outcome) => affinity.inc({ model, outcome }));

  const scrapes = new Counter({
    name: 'switchyard_engine_scrapes_total',
    help: 'Engine metrics scrapes by outcome (ok, no_metrics, failed).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  router.onScrape((outcome) => scrapes.inc({ outcome }));
}
