/**
 * Scrapes inference engines' Prometheus endpoints for engine-aware routing: each target every `intervalMs`, but
 * only while the gateway has traffic for it (`demand`), stopping on its own after `idleAfterMs` without any.
 * Every scrape is bounded: a time limit (a reading later than that would be stale on arrival), a body size limit,
 * a cap on scrapes in flight across all targets (a tick that finds the cap reached is skipped, never queued), and
 * at most one scrape per target at a time. URLs come from operator config only, never from a request.
 * A failed scrape keeps the last reading, which soon goes stale, and the router falls back to its own counts.
 */
import { Agent, request } from 'undici';
import { systemClock, type Clock } from '../../core/clock.js';
import { systemTimers, type TimerHandle, type Timers } from '../../core/timers.js';
import { readEngineLoad, type EngineReading } from './engine-reading.js';

export interface ScrapeTarget {
  url: string;
  intervalMs: number;
  /** Longest a scrape may take, ms. */
  timeoutMs: number;
  /** Scraping stops this long after the last `demand`, ms. */
  idleAfterMs: number;
}

export type ScrapeOutcome = 'ok' | 'no_metrics' | 'failed';

export interface EngineMetricsScraperOptions {
  clock?: Clock;
  timers?: Timers;
  /** Scrapes in flight at once, across all targets. */
  maxConcurrent?: number;
  /** Largest metrics page read, bytes. */
  maxBodyBytes?: number;
  /** Sees every scrape's outcome (metrics). */
  onScrape?: (url: string, outcome: ScrapeOutcome) => void;
  /** Read just before a scrape starts; stored with the reading (the router's dispatch count at that moment). */
  markOf?: (url: string) => number;
}

export interface StoredReading extends EngineReading {
  /** `markOf(url)` when the scrape that produced it started. */
  mark: number;
}

interface TargetState {
  target: ScrapeTarget;
  lastDemandAt: number;
  timer?: TimerHandle;
  inFlight: boolean;
  reading?: StoredReading;
}

export const defaultMaxConcurrentScrapes = 16;
export const defaultMaxMetricsBodyBytes = 4 * 1024 * 1024;

export class EngineMetricsScraper {
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly maxConcurrent: number;
  private readonly maxBodyBytes: number;
  private readonly onScrape: EngineMetricsScraperOptions['onScrape'];
  private readonly markOf: (url: string) => number;
  private readonly states = new Map<string, TargetState>();
  private readonly agent = new Agent({ connections: 2, keepAliveTimeout: 10_000 });
  private active = 0;
  private closed = false;

  constructor(options: EngineMetricsScraperOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemTimers;
    this.maxConcurrent = options.maxConcurrent ?? defaultMaxConcurrentScrapes;
    this.maxBodyBytes = options.maxBodyBytes ?? defaultMaxMetricsBodyBytes;
    this.onScrape = options.onScrape;
    this.markOf = options.markOf ?? (() => 0);
  }

  /** Replaces the target set; targets no longer listed stop, and their readings are dropped. */
  configure(targets: Iterable<ScrapeTarget>): void {
    const next = new Map<string, ScrapeTarget>();
    for (const target of targets) next.set(target.url, target);
    for (const [url, state] of this.states) {
      if (next.has(url)) continue;
      if (state.timer !== undefined) this.timers.clearTimeout(state.timer);
      this.states.delete(url);
    }
    for (const [url, target] of next) {
      const state = this.states.get(url);
      if (state === undefined) this.states.set(url, { target, lastDemandAt: Number.NEGATIVE_INFINITY, inFlight: false });
      else state.target = target;
    }
  }

  /** The gateway has traffic for this target: keep (or start) scraping it. Unknown URLs are ignored. */
  demand(url: string): void {
    const state = this.states.get(url);
    if (state === undefined || this.closed) return;
    state.lastDemandAt = this.clock.now();
    if (state.timer === undefined && !state.inFlight) this.schedule(state, 0);
  }

  /** The latest reading of a target, however old; undefined before the first successful scrape. */
  reading(url: string): StoredReading | undefined {
    return this.states.get(url)?.reading;
  }

  /** Every target's latest reading (metrics, `/admin`). */
  readings(): Map<string, StoredReading> {
    const readings = new Map<string, StoredReading>();
    for (const [url, state] of this.states) if (state.reading !== undefined) readings.set(url, state.reading);
    return readings;
  }

  /** Scrapes one target now, whatever its schedule; resolves when the scrape is over. */
  async scrapeNow(url: string): Promise<StoredReading | undefined> {
    const state = this.states.get(url);
    if (state === undefined) return undefined;
    await this.scrape(state);
    return state.reading;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const state of this.states.values()) if (state.timer !== undefined) this.timers.clearTimeout(state.timer);
    this.states.clear();
    await this.agent.close();
  }

  private schedule(state: TargetState, delayMs: number): void {
    state.timer = this.timers.setTimeout(() => {
      state.timer = undefined;
      void this.tick(state);
    }, delayMs);
  }

  private async tick(state: TargetState): Promise<void> {
    if (this.closed || this.states.get(state.target.url) !== state) return;
    if (this.clock.now() - state.lastDemandAt > state.target.idleAfterMs) return;
    const startedAt = this.clock.now();
    if (this.active < this.maxConcurrent) await this.scrape(state);
    // A demand() during the scrape may have scheduled already; the interval counts from the scrape's start.
    if (state.timer !== undefined || this.closed) return;
    this.schedule(state, Math.max(0, state.target.intervalMs - (this.clock.now() - startedAt)));
  }

  private async scrape(state: TargetState): Promise<void> {
    if (state.inFlight) return;
    const { url, timeoutMs } = state.target;
    state.inFlight = true;
    this.active += 1;
    const mark = this.markOf(url);
    const at = this.clock.now();
    let outcome: ScrapeOutcome = 'failed';
    try {
      const text = await this.fetchText(url, timeoutMs);
      const reading = text === undefined ? undefined : readEngineLoad(text, at);
      if (reading !== undefined && this.states.get(url) === state) {
        // A slow scrape must not overwrite a newer reading.
        if (state.reading === undefined || state.reading.at <= at) state.reading = { ...reading, mark };
        outcome = 'ok';
      } else if (text !== undefined) {
        outcome = 'no_metrics';
      }
    } catch {
      outcome = 'failed';
    } finally {
      state.inFlight = false;
      this.active -= 1;
    }
    this.onScrape?.(url, outcome);
  }

  /** The page's text, or undefined for a non-200 answer; throws on timeout, transport failure or an oversized body. */
  private async fetchText(url: string, timeoutMs: number): Promise<string | undefined> {
    const response = await request(url, {
      method: 'GET',
      dispatcher: this.agent,
      headers: { accept: 'text/plain;version=0.0.4' },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.statusCode !== 200) {
      await response.body.dump();
      return undefined;
    }
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.maxBodyBytes) {
      response.body.destroy();
      throw new Error(`metrics page of ${declared} bytes exceeds ${this.maxBodyBytes}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      const buffer = chunk as Buffer;
      size += buffer.length;
      if (size > this.maxBodyBytes) {
        response.body.destroy();
        throw new Error(`metrics page exceeds ${this.maxBodyBytes} bytes`);
      }
      chunks.push(buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}
