/**
 * Engine-aware deployment selection (DESIGN.md §5): keeps the metrics scraper pointed at the deployments of
 * `routing: engine_aware` models, adds each engine's fresh load and the prompt's prefix matches to the balancer
 * snapshot, lets the pure `engine_aware` strategy order them, and records the pick, so the next request with the
 * same prefix (the same conversation, or the same system prompt) follows it and the next score counts it.
 */
import { systemClock, type Clock } from '../../core/clock.js';
import type { Timers } from '../../core/timers.js';
import type { EngineAwareConfig } from '../../config/engine-aware-schema.js';
import {
  orderDeployments,
  type BalancerOptions,
  type DeploymentSnapshot,
  type EngineLoad,
  type SaturationLimits,
} from '../balancers.js';
import type { EngineReading } from '../engine-metrics/engine-reading.js';
import { EngineMetricsScraper, type ScrapeOutcome, type StoredReading } from '../engine-metrics/scraper.js';
import { PrefixAffinityIndex } from './prefix-affinity.js';
import { promptBlockHashes, type PromptRequest } from './prompt-blocks.js';

export interface EngineAwareSettings {
  scrapeIntervalMs: number;
  /** A reading older than this is not used: the deployment is scored by the gateway's own counts. */
  staleAfterMs: number;
  /** Scraping a deployment stops this long after its model's last request. */
  idleAfterMs: number;
  prefixBlockChars: number;
  maxPrefixBlocks: number;
  /** Prompt blocks remembered per model. */
  affinityEntries: number;
  saturation: SaturationLimits;
}

export interface EngineAwareModel {
  name: string;
  settings: EngineAwareSettings;
  deployments: readonly { id: string; metricsUrl?: string }[];
}

/**
 * What prefix affinity did for one pick: `hit` went to the deployment with the longest matching prefix,
 * `diverted` went elsewhere (that one was saturated or had no fresh reading), `none` had no prefix to follow.
 */
export type AffinityOutcome = 'hit' | 'diverted' | 'none';

/** A deployment's latest engine reading, for the `switchyard_upstream_*` gauges. */
export interface DeploymentEngineLoad {
  deployment: string;
  reading: EngineReading;
  fresh: boolean;
}

interface ModelState {
  settings: EngineAwareSettings;
  metricsUrls: Map<string, string>;
  affinity: PrefixAffinityIndex;
}

export interface EngineAwareRouterOptions {
  clock?: Clock;
  timers?: Timers;
  /** Scrapes in flight at once, across all engines. */
  maxConcurrentScrapes?: number;
}

/**
 * The engine's load now, as far as the gateway can tell: the reading, plus the requests it sent since the
 * reading (at most those still in flight: one that already finished no longer loads the engine). Undefined
 * when there is no reading or it is older than `staleAfterMs`.
 */
export function engineLoadOf(
  reading: StoredReading | undefined,
  now: number,
  staleAfterMs: number,
  dispatchedSinceReading: number,
  outstanding: number,
): EngineLoad | undefined {
  if (reading === undefined || now - reading.at > staleAfterMs) return undefined;
  const unseen = Math.max(0, Math.min(outstanding, dispatchedSinceReading));
  return {
    queue: reading.waiting + unseen,
    running: reading.running,
    ...(reading.kvUsage === undefined ? {} : { kvUsage: reading.kvUsage }),
  };
}

export class EngineAwareRouter {
  readonly scraper: EngineMetricsScraper;
  private readonly clock: Clock;
  private models = new Map<string, ModelState>();
  /** Picks per metrics URL since start: compared with the count stored with a reading. */
  private readonly dispatches = new Map<string, number>();
  private readonly affinityListeners: ((model: string, outcome: AffinityOutcome) => void)[] = [];
  private readonly scrapeListeners: ((outcome: ScrapeOutcome) => void)[] = [];

  constructor(options: EngineAwareRouterOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.scraper = new EngineMetricsScraper({
      clock: this.clock,
      timers: options.timers,
      maxConcurrent: options.maxConcurrentScrapes,
      markOf: (url) => this.dispatches.get(url) ?? 0,
      onScrape: (_url, outcome) => {
        for (const listener of this.scrapeListeners) listener(outcome);
      },
    });
  }

  /** Applies the engine-aware models of a (re)loaded config; affinity survives for deployments that stay. */
  configure(models: readonly EngineAwareModel[]): void {
    const next = new Map<string, ModelState>();
    const targets = new Map<string, EngineAwareSettings>();
    for (const model of models) {
      const previous = this.models.get(model.name);
      const ids = new Set(model.deployments.map((deployment) => deployment.id));
      let affinity = previous?.affinity;
      if (affinity === undefined || previous!.settings.prefixBlockChars !== model.settings.prefixBlockChars) {
        affinity = new PrefixAffinityIndex(model.settings.affinityEntries);
      } else {
        affinity.retainOnly(ids);
      }
      const metricsUrls = new Map<string, string>();
      for (const deployment of model.deployments) {
        if (deployment.metricsUrl === undefined) continue;
        metricsUrls.set(deployment.id, deployment.metricsUrl);
        // One engine behind several models is scraped once, as often as the most demanding of them asks.
        const known = targets.get(deployment.metricsUrl);
        if (known === undefined || model.settings.scrapeIntervalMs < known.scrapeIntervalMs) {
          targets.set(deployment.metricsUrl, model.settings);
        }
      }
      next.set(model.name, { settings: model.settings, metricsUrls, affinity });
    }
    this.models = next;
    this.scraper.configure(
      [...targets].map(([url, settings]) => ({
        url,
        intervalMs: settings.scrapeIntervalMs,
        timeoutMs: Math.max(settings.staleAfterMs, settings.scrapeIntervalMs),
        idleAfterMs: settings.idleAfterMs,
      })),
    );
  }

  /**
   * The deployments of `model` in the order to try them, best first. `request` is the prompt to match for
   * affinity (none for requests without one). The first deployment is recorded as this prompt's holder.
   */
  order(
    model: string,
    snapshots: readonly DeploymentSnapshot[],
    request: PromptRequest | undefined,
    options: BalancerOptions,
  ): DeploymentSnapshot[] {
    const state = this.models.get(model);
    if (state === undefined) return orderDeployments('engine_aware', snapshots, options);
    const { settings } = state;
    const now = this.clock.now();
    const hashes =
      request === undefined
        ? []
        : promptBlockHashes(request, { blockChars: settings.prefixBlockChars, maxBlocks: settings.maxPrefixBlocks });
    const matches = hashes.length === 0 ? undefined : state.affinity.matches(hashes);
    const enriched = snapshots.map((snapshot) => {
      const url = state.metricsUrls.get(snapshot.id);
      const engine = url === undefined ? undefined : this.loadAt(url, snapshot.outstanding, now, settings.staleAfterMs);
      const prefixBlocks = matches?.get(snapshot.id);
      return engine === undefined && prefixBlocks === undefined ? snapshot : { ...snapshot, engine, prefixBlocks };
    });
    const ordered = orderDeployments('engine_aware', enriched, { ...options, saturation: settings.saturation });
    const chosen = ordered[0];
    if (chosen !== undefined) {
      const url = state.metricsUrls.get(chosen.id);
      if (url !== undefined) this.dispatches.set(url, (this.dispatches.get(url) ?? 0) + 1);
      if (hashes.length > 0) state.affinity.record(hashes, chosen.id);
      this.report(model, affinityOutcome(matches, chosen.id));
    }
    return ordered;
  }

  private loadAt(url: string, outstanding: number, now: number, staleAfterMs: number): EngineLoad | undefined {
    this.scraper.demand(url);
    const reading = this.scraper.reading(url);
    if (reading === undefined) return undefined;
    const dispatched = (this.dispatches.get(url) ?? 0) - reading.mark;
    return engineLoadOf(reading, now, staleAfterMs, dispatched, outstanding);
  }

  private report(model: string, outcome: AffinityOutcome): void {
    for (const listener of this.affinityListeners) listener(model, outcome);
  }

  onAffinity(listener: (model: string, outcome: AffinityOutcome) => void): void {
    this.affinityListeners.push(listener);
  }

  onScrape(listener: (outcome: ScrapeOutcome) => void): void {
    this.scrapeListeners.push(listener);
  }

  /** Each engine-aware deployment's latest reading. */
  loads(): DeploymentEngineLoad[] {
    const now = this.clock.now();
    const loads: DeploymentEngineLoad[] = [];
    for (const state of this.models.values()) {
      for (const [deployment, url] of state.metricsUrls) {
        const reading = this.scraper.reading(url);
        if (reading === undefined) continue;
        loads.push({ deployment, reading, fresh: now - reading.at <= state.settings.staleAfterMs });
      }
    }
    return loads;
  }

  /** The metrics URL scraped for a deployment of an engine-aware model. */
  metricsUrlOf(model: string, deployment: string): string | undefined {
    return this.models.get(model)?.metricsUrls.get(deployment);
  }

  close(): Promise<void> {
    return this.scraper.close();
  }
}

function affinityOutcome(matches: ReadonlyMap<string, number> | undefined, chosen: string): AffinityOutcome {
  if (matches === undefined || matches.size === 0) return 'none';
  const longest = Math.max(...matches.values());
  return matches.get(chosen) === longest ? 'hit' : 'diverted';
}

export function engineAwareSettingsFromConfig(config: EngineAwareConfig): EngineAwareSettings {
  return {
    scrapeIntervalMs: config.scrape_interval_ms,
    staleAfterMs: config.stale_after_ms,
    idleAfterMs: config.idle_after_ms,
    prefixBlockChars: config.prefix_block_chars,
    maxPrefixBlocks: config.max_prefix_blocks,
    affinityEntries: config.affinity_entries,
    saturation: { queue: config.saturation.queue, kv: config.saturation.kv },
  };
}
