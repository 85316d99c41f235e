/**
 * Active health checks (issue 4 §6): every deployment whose adapter has `checkHealth` is probed every
 * `interval_ms` under `timeout_ms`. Probes are spread out (a random first delay, ±10% on each interval) so many
 * deployments never probe in step, and a deployment never has two probes in flight: the next one is scheduled
 * only when the last has settled or timed out, and one whose adapter ignores the abort counts as failed until
 * it settles. Each result goes to `onResult`, with the status after it; `healthy` flips after
 * `unhealthyAfter` failures in a row and back after `healthyAfter` successes, so the lead can take the
 * deployment out of rotation on the transition. Timers are injected (core/timers; the real ones are unref'd).
 *
 * Passive health: a target that live traffic shows healthy is not probed. When its probe is due, it is healthy,
 * its last probe did not fail and `answeredSince` says it answered a request within the last interval, the
 * probe is skipped (`onSkipped`) and the next one scheduled as usual. This is what production gateways do: the
 * probe's GET adds load and shows up as upstream traffic no client asked for, while the live request already
 * proved what the probe would. Unhealthy, failing and idle targets are probed exactly as before.
 */
import type { z } from 'zod';
import type { healthCheckSchema } from '../config/resilience-schema.js';
import { systemClock, type Clock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import type { ProviderAdapter } from '../core/provider.js';
import { systemTimers, type TimerHandle, type Timers } from '../core/timers.js';

export interface HealthTarget {
  /** The deployment id, as the rest of the reliability layer keys it. */
  id: string;
  adapter: Pick<ProviderAdapter, 'checkHealth'>;
}

export interface ProbeResult {
  ok: boolean;
  error?: GatewayError;
  latencyMs: number;
}

export interface HealthStatus {
  healthy: boolean;
  /** Wall-clock time (epoch ms) of the last result; undefined before the first. */
  lastCheckedAt: number | undefined;
  lastLatencyMs: number | undefined;
  /** Why the last failed probe failed, kept after recovery for /admin. */
  lastError: { code: string; message: string } | undefined;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
}

export interface HealthCheckerOptions {
  intervalMs: number;
  timeoutMs: number;
  onResult?: (id: string, result: ProbeResult, status: HealthStatus) => void;
  /**
   * Whether live traffic to target `id` got an answer at or after `since` (on `clock`); a due probe of a healthy
   * target is skipped when it did. Without it every due probe runs.
   */
  answeredSince?: (id: string, since: number) => boolean;
  /** A due probe was skipped because live traffic showed the target healthy (the interval's tick, still). */
  onSkipped?: (id: string) => void;
  /** Failed probes in a row that mark a deployment unhealthy (default 2: one lost probe is not an outage). */
  unhealthyAfter?: number;
  /** Successful probes in a row that mark it healthy again (default 1). */
  healthyAfter?: number;
  clock?: Clock;
  /** For `lastCheckedAt` (default Date). */
  wallClock?: Clock;
  timers?: Timers;
  /** Uniform in [0, 1), for jitter (default Math.random). */
  random?: () => number;
}

export function healthCheckTimingFromConfig(
  config: z.output<typeof healthCheckSchema>,
): Pick<HealthCheckerOptions, 'intervalMs' | 'timeoutMs'> {
  return { intervalMs: config.interval_ms, timeoutMs: config.timeout_ms };
}

/** Each interval is stretched or shrunk by up to this share, so probes drift apart. */
const intervalJitter = 0.1;

interface Probed {
  target: HealthTarget & { adapter: Required<HealthTarget['adapter']> };
  status: HealthStatus;
  timer: TimerHandle | undefined;
  /** Set while the adapter's promise is unsettled, even past the timeout. */
  running: AbortController | undefined;
}

function probeFailure(id: string, thrown: unknown): GatewayError {
  if (thrown instanceof GatewayError) return thrown;
  const reason = thrown instanceof Error ? thrown.message : String(thrown);
  return new GatewayError('upstream_unavailable', `Health probe of ${id} failed: ${reason}`, { retryable: true, cause: thrown });
}

function isProbed(target: HealthTarget): target is Probed['target'] {
  return target.adapter.checkHealth !== undefined;
}

export class HealthChecker {
  private readonly entries = new Map<string, Probed>();
  /** Bumped by start/stop, so results of probes from an earlier run are dropped. */
  private run = 0;
  private running = false;
  private readonly unhealthyAfter: number;
  private readonly healthyAfter: number;
  private readonly clock: Clock;
  private readonly wallClock: Clock;
  private readonly timers: Timers;
  private readonly random: () => number;

  constructor(private readonly options: HealthCheckerOptions) {
    this.unhealthyAfter = options.unhealthyAfter ?? 2;
    this.healthyAfter = options.healthyAfter ?? 1;
    this.clock = options.clock ?? systemClock;
    this.wallClock = options.wallClock ?? Date;
    this.timers = options.timers ?? systemTimers;
    this.random = options.random ?? Math.random;
  }

  /**
   * Replaces the probed deployments (startup and config reload). A kept id keeps its status and schedule and
   * is probed through its new adapter from the next probe on; adapters without `checkHealth` are skipped.
   */
  setTargets(targets: readonly HealthTarget[]): void {
    const wanted = new Map(targets.filter(isProbed).map((target) => [target.id, target]));
    for (const [id, entry] of this.entries) {
      if (wanted.has(id)) continue;
      this.cancel(entry);
      this.entries.delete(id);
    }
    for (const [id, target] of wanted) {
      const existing = this.entries.get(id);
      if (existing) {
        existing.target = target;
        continue;
      }
      const entry: Probed = { target, status: initialStatus(), timer: undefined, running: undefined };
      this.entries.set(id, entry);
      if (this.running) this.schedule(entry, this.random() * this.options.intervalMs);
    }
  }

  /** Starts probing; each deployment's first probe comes at a random point of the first interval. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.run++;
    for (const entry of this.entries.values()) this.schedule(entry, this.random() * this.options.intervalMs);
  }

  /** Stops probing: pending probes are cancelled, running ones aborted and their results dropped. */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.run++;
    for (const entry of this.entries.values()) this.cancel(entry);
  }

  /** Per deployment id, for /admin. */
  status(): Record<string, HealthStatus> {
    return Object.fromEntries([...this.entries].map(([id, entry]) => [id, { ...entry.status }]));
  }

  private schedule(entry: Probed, delayMs: number): void {
    const run = this.run;
    entry.timer = this.timers.setTimeout(() => {
      entry.timer = undefined;
      void this.probe(entry, run);
    }, delayMs);
  }

  private cancel(entry: Probed): void {
    if (entry.timer !== undefined) this.timers.clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.running?.abort(new GatewayError('shutting_down', 'Health checks stopped.'));
  }

  private async probe(entry: Probed, run: number): Promise<void> {
    const { id } = entry.target;
    const startedAt = this.clock.now();
    if (this.servedLive(entry, startedAt)) {
      this.options.onSkipped?.(id);
      this.schedule(entry, this.nextDelay());
      return;
    }
    const result = entry.running
      ? { ok: false, error: this.timeoutError(id, 'the previous probe has still not answered') }
      : await this.check(entry);
    if (run !== this.run || this.entries.get(id) !== entry) return;
    const probeResult: ProbeResult = { ...result, latencyMs: this.clock.now() - startedAt };
    this.record(entry, probeResult);
    this.options.onResult?.(id, probeResult, { ...entry.status });
    this.schedule(entry, this.nextDelay());
  }

  private nextDelay(): number {
    return this.options.intervalMs * (1 - intervalJitter + 2 * intervalJitter * this.random());
  }

  /** Healthy by probe and by live traffic within the last interval: a probe would tell nothing new. */
  private servedLive(entry: Probed, now: number): boolean {
    const { status } = entry;
    if (entry.running || !status.healthy || status.consecutiveFailures > 0) return false;
    return this.options.answeredSince?.(entry.target.id, now - this.options.intervalMs) ?? false;
  }

  /** Runs one probe under the timeout; `entry.running` stays set until the adapter's promise settles. */
  private async check(entry: Probed): Promise<{ ok: boolean; error?: GatewayError }> {
    const { id, adapter } = entry.target;
    const controller = new AbortController();
    entry.running = controller;
    const settled = Promise.resolve()
      .then(() => adapter.checkHealth(controller.signal))
      .then(
        () => ({ ok: true }),
        (thrown: unknown) => ({ ok: false, error: probeFailure(id, thrown) }),
      )
      .finally(() => {
        if (entry.running === controller) entry.running = undefined;
      });
    // Settles on the timeout and on stop() alike, whether or not the adapter honours the abort.
    const aborted = new Promise<{ ok: boolean; error: GatewayError }>((resolve) => {
      controller.signal.addEventListener('abort', () => resolve({ ok: false, error: probeFailure(id, controller.signal.reason) }), {
        once: true,
      });
    });
    const timer = this.timers.setTimeout(
      () => controller.abort(this.timeoutError(id, `no answer within ${this.options.timeoutMs} ms`)),
      this.options.timeoutMs,
    );
    const result = await Promise.race([settled, aborted]);
    this.timers.clearTimeout(timer);
    return result;
  }

  private timeoutError(id: string, detail: string): GatewayError {
    return new GatewayError('upstream_timeout', `Health probe of ${id} timed out: ${detail}.`, { retryable: true });
  }

  private record(entry: Probed, result: ProbeResult): void {
    const status = entry.status;
    status.lastCheckedAt = this.wallClock.now();
    status.lastLatencyMs = result.latencyMs;
    if (result.ok) {
      status.consecutiveFailures = 0;
      status.consecutiveSuccesses++;
      if (status.consecutiveSuccesses >= this.healthyAfter) status.healthy = true;
      return;
    }
    status.consecutiveSuccesses = 0;
    status.consecutiveFailures++;
    if (result.error) status.lastError = { code: result.error.code, message: result.error.message };
    if (status.consecutiveFailures >= this.unhealthyAfter) status.healthy = false;
  }
}

/** A deployment counts as healthy until probes say otherwise: no traffic is held back at startup. */
function initialStatus(): HealthStatus {
  return {
    healthy: true,
    lastCheckedAt: undefined,
    lastLatencyMs: undefined,
    lastError: undefined,
    consecutiveFailures: 0,
    consecutiveSuccesses: 0,
  };
}
