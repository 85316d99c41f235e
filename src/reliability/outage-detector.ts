/**
 * Passive outage detection per deployment (issue 4 §6): request outcomes go into a sliding window, and when
 * the error rate exceeds `outage_error_rate` over `outage_window_ms` (once the window holds
 * `outage_min_requests`) ONE `outage_started` alert fires. The outage ends with ONE `outage_resolved` when the
 * rate is back at or under half the threshold (hysteresis, so a rate hovering at the line does not flap), over
 * at least `outage_min_requests` requests; or when a whole window passed without any traffic (`sweep()`), or
 * the deployment left the config (`forget()`). Clock-driven and free of I/O apart from logging a listener that
 * throws, so a faulty listener never breaks the request path that records.
 */
import type { z } from 'zod';
import type { healthCheckSchema } from '../config/resilience-schema.js';
import { systemClock, type Clock } from '../core/clock.js';
import { log } from '../observability/log.js';
import { SlidingCounts } from './sliding-window.js';

export interface OutageDetectorOptions {
  windowMs: number;
  /** An outage starts when failures / requests over the window exceeds this... */
  errorRate: number;
  /** ...once the window holds at least this many requests. */
  minRequests: number;
  /** It ends when the rate is at or under `errorRate × resolveRatio` (default 0.5). */
  resolveRatio?: number;
}

export function outageDetectorOptionsFromConfig(config: z.output<typeof healthCheckSchema>): OutageDetectorOptions {
  return { windowMs: config.outage_window_ms, errorRate: config.outage_error_rate, minRequests: config.outage_min_requests };
}

interface AlertFields {
  /** Deployment id. */
  id: string;
  /** Failures / requests over the window when the alert fired. */
  errorRate: number;
  requests: number;
  windowMs: number;
}

export type OutageAlert =
  | ({ kind: 'outage_started' } & AlertFields)
  | ({ kind: 'outage_resolved'; reason: 'recovered' | 'no_traffic' | 'removed' } & AlertFields);

export type OutageListener = (alert: OutageAlert) => void;

export interface OutageStatus {
  inOutage: boolean;
  errorRate: number;
  requests: number;
}

interface Tracked {
  counts: SlidingCounts<'requests' | 'failures'>;
  inOutage: boolean;
}

const defaultResolveRatio = 0.5;

export class OutageDetector {
  private readonly tracked = new Map<string, Tracked>();
  private readonly listeners = new Set<OutageListener>();
  private options: Required<OutageDetectorOptions>;
  private readonly clock: Clock;

  constructor(options: OutageDetectorOptions, clock: Clock = systemClock) {
    this.options = withDefaults(options);
    this.clock = clock;
  }

  /** Calls `listener` for every alert; returns the way to stop. */
  onAlert(listener: OutageListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One request outcome of a deployment: `ok` false for a failure that says the deployment is unwell. */
  record(id: string, ok: boolean): void {
    const now = this.clock.now();
    let entry = this.tracked.get(id);
    if (!entry) {
      entry = { counts: new SlidingCounts(this.options.windowMs, ['requests', 'failures']), inOutage: false };
      this.tracked.set(id, entry);
    }
    entry.counts.add('requests', now);
    if (!ok) entry.counts.add('failures', now);
    this.evaluate(id, entry, now);
  }

  /**
   * Ends outages of deployments that saw no request for a whole window (taken out of rotation, or idle), and
   * forgets their counts. Call it periodically, e.g. from the health-check loop.
   */
  sweep(): void {
    const now = this.clock.now();
    for (const [id, entry] of this.tracked) {
      if (entry.counts.totals(now).requests > 0) continue;
      this.tracked.delete(id);
      if (entry.inOutage) this.emit({ kind: 'outage_resolved', reason: 'no_traffic', id, errorRate: 0, requests: 0, windowMs: this.options.windowMs });
    }
  }

  /** The deployment left the config: its counts go, and an open outage is closed (reason `removed`). */
  forget(id: string): void {
    const entry = this.tracked.get(id);
    if (!entry) return;
    this.tracked.delete(id);
    if (entry.inOutage) this.emit({ kind: 'outage_resolved', reason: 'removed', id, ...this.measure(entry, this.clock.now()) });
  }

  /** New thresholds or window (config reload); counts and open outages are kept. */
  configure(options: OutageDetectorOptions): void {
    this.options = withDefaults(options);
    const now = this.clock.now();
    for (const entry of this.tracked.values()) entry.counts.resize(this.options.windowMs, now);
  }

  /** Per deployment id, for /admin. */
  status(): Record<string, OutageStatus> {
    const now = this.clock.now();
    return Object.fromEntries(
      [...this.tracked].map(([id, entry]) => {
        const { errorRate, requests } = this.measure(entry, now);
        return [id, { inOutage: entry.inOutage, errorRate, requests }];
      }),
    );
  }

  private evaluate(id: string, entry: Tracked, now: number): void {
    const measured = this.measure(entry, now);
    if (measured.requests < this.options.minRequests) return;
    if (!entry.inOutage && measured.errorRate > this.options.errorRate) {
      entry.inOutage = true;
      this.emit({ kind: 'outage_started', id, ...measured });
    } else if (entry.inOutage && measured.errorRate <= this.options.errorRate * this.options.resolveRatio) {
      entry.inOutage = false;
      this.emit({ kind: 'outage_resolved', reason: 'recovered', id, ...measured });
    }
  }

  private measure(entry: Tracked, now: number): { errorRate: number; requests: number; windowMs: number } {
    const { requests, failures } = entry.counts.totals(now);
    return { errorRate: requests === 0 ? 0 : failures / requests, requests, windowMs: this.options.windowMs };
  }

  private emit(alert: OutageAlert): void {
    for (const listener of this.listeners) {
      try {
        listener(alert);
      } catch (error) {
        log.error('outage alert listener failed', { alert: alert.kind, deployment: alert.id, error: String(error) });
      }
    }
  }
}

function withDefaults(options: OutageDetectorOptions): Required<OutageDetectorOptions> {
  return { ...options, resolveRatio: options.resolveRatio ?? defaultResolveRatio };
}
