/**
 * Live per-deployment state the balancers read: requests in flight, peak-EWMA latency, upstream quota headroom,
 * 429 cooldowns, and the admin kill switch. In memory, per gateway; `snapshot` turns it into the plain values
 * `orderDeployments` scores and `/admin` shows. Time comes from an injected clock, so tests need no waiting.
 *
 * Per attempt: `const finish = stats.begin(id)` before sending; `stats.observeQuota(id, headers)` when the
 * response headers arrive; `finish({ ok, latencyMs })` when the attempt is over (a stream's end, with its time
 * to first byte as the latency); after a 429 with retry-after, `stats.cooldown(id, clock.now() + ms)`.
 * Kill switches set here are announced to `onKillSwitch` listeners, which share them with other replicas
 * (`kill-switch-sharing.ts`); theirs arrive through `replaceKillSwitches`.
 */
import { systemClock, type Clock } from '../core/clock.js';
import type { HeaderLookup } from '../core/upstream-http.js';
import type { DeploymentSnapshot } from './balancers.js';
import { parseQuotaHeaders, quotaHeadroom, type QuotaWindow } from './quota-headers.js';

export interface DeploymentStatsOptions {
  /** Monotonic milliseconds. */
  clock?: Clock;
  /** Wall-clock milliseconds (`Date.now()`), to read Anthropic's absolute quota reset times. */
  wallClock?: Clock;
  /** Time constant of the latency average, ms: how fast old samples lose weight. */
  latencyDecayMs?: number;
  /** How long a quota reading counts when the upstream gave no reset time, ms. */
  quotaTtlMs?: number;
}

export interface AttemptOutcome {
  ok: boolean;
  /** Time to the first byte (streams) or the whole answer, ms. Omit for failures that say nothing of speed. */
  latencyMs?: number;
}

/** Ends what `begin` started; calling it again does nothing. */
export type FinishAttempt = (outcome: AttemptOutcome) => void;

export type KillSwitchTarget = { deployment: string } | { provider: string } | { model: string };

export type KillSwitchListener = (target: KillSwitchTarget, disabled: boolean) => void;

/** What `snapshot` needs to know of a deployment beyond its id: its config and its breaker's weight. */
export interface DeploymentRef {
  id: string;
  provider: string;
  /** The public model name it serves. */
  model: string;
  weight: number;
  /** Circuit-breaker share of normal traffic, 0..1; 1 when omitted. */
  healthWeight?: number;
}

interface QuotaReading extends QuotaWindow {
  /** Monotonic time after which this reading no longer counts. */
  expiresAt: number;
}

interface DeploymentState {
  outstanding: number;
  /** Peak-EWMA estimate as of `latencyAt`. */
  latencyMs?: number;
  latencyAt: number;
  quotas: Map<string, QuotaReading>;
  coolingDownUntil?: number;
  /** When an attempt last ended ok with a latency (the upstream answered); the health checker skips probes then. */
  lastAnsweredAt?: number;
}

const wallClock: Clock = { now: () => Date.now() };

export class DeploymentStats {
  readonly clock: Clock;
  private readonly wallClock: Clock;
  private readonly latencyDecayMs: number;
  private readonly quotaTtlMs: number;
  private readonly states = new Map<string, DeploymentState>();
  /** Kill switches in force, by `targetKey`. */
  private readonly disabledTargets = new Map<string, KillSwitchTarget>();
  private readonly killSwitchListeners = new Set<KillSwitchListener>();

  constructor(options: DeploymentStatsOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.wallClock = options.wallClock ?? wallClock;
    this.latencyDecayMs = options.latencyDecayMs ?? 10_000;
    this.quotaTtlMs = options.quotaTtlMs ?? 60_000;
  }

  private state(id: string): DeploymentState {
    let state = this.states.get(id);
    if (state === undefined) {
      state = { outstanding: 0, latencyAt: this.clock.now(), quotas: new Map() };
      this.states.set(id, state);
    }
    return state;
  }

  /** Counts a request in flight to `id` until the returned function is called. */
  begin(id: string): FinishAttempt {
    const state = this.state(id);
    state.outstanding += 1;
    let finished = false;
    return (outcome) => {
      if (finished) return;
      finished = true;
      state.outstanding -= 1;
      if (outcome.latencyMs === undefined) return;
      this.observeLatency(id, outcome.latencyMs, outcome.ok);
      if (outcome.ok) state.lastAnsweredAt = this.clock.now();
    };
  }

  /**
   * Monotonic time the last attempt to `id` ended ok with a latency, i.e. the upstream answered without a
   * failure that counts against it (a client abort has no latency and does not count); undefined if none yet.
   */
  lastAnsweredAt(id: string): number | undefined {
    return this.states.get(id)?.lastAnsweredAt;
  }

  /**
   * Peak EWMA as in Finagle and Tower: a sample above the current estimate replaces it at once, a lower one pulls
   * it toward the sample with a weight that grows with the time since the last sample. Between samples the
   * estimate decays toward zero, so a deployment that was slow and then avoided is eventually tried again.
   * A failure only ever raises the estimate: failing fast must not make a deployment look fast.
   */
  observeLatency(id: string, latencyMs: number, ok = true): void {
    if (!Number.isFinite(latencyMs) || latencyMs < 0) return;
    const state = this.state(id);
    const now = this.clock.now();
    const current = this.decayedLatency(state, now);
    if (current === undefined || latencyMs > current) {
      state.latencyMs = latencyMs;
    } else if (ok) {
      const keep = Math.exp(-(now - state.latencyAt) / this.latencyDecayMs);
      state.latencyMs = current * keep + latencyMs * (1 - keep);
    } else {
      state.latencyMs = current;
    }
    state.latencyAt = now;
  }

  private decayedLatency(state: DeploymentState, now: number): number | undefined {
    if (state.latencyMs === undefined) return undefined;
    return state.latencyMs * Math.exp(-Math.max(0, now - state.latencyAt) / this.latencyDecayMs);
  }

  /** Records the quotas a response reported; each counts until its reset time. */
  observeQuota(id: string, headers: HeaderLookup): void {
    const windows = parseQuotaHeaders(headers, this.wallClock.now());
    if (windows.length === 0) return;
    const state = this.state(id);
    const now = this.clock.now();
    for (const window of windows) {
      state.quotas.set(window.name, { ...window, expiresAt: now + (window.resetInMs ?? this.quotaTtlMs) });
    }
  }

  /** Avoids `id` until `untilMs` (monotonic, as `clock.now()`), e.g. after a 429 with retry-after. */
  cooldown(id: string, untilMs: number): void {
    const state = this.state(id);
    state.coolingDownUntil = Math.max(state.coolingDownUntil ?? untilMs, untilMs);
  }

  /** Takes a deployment, every deployment of a provider, or every deployment of a model out of rotation. */
  disable(target: KillSwitchTarget): void {
    this.disabledTargets.set(targetKey(target), target);
    this.announce(target, true);
  }

  enable(target: KillSwitchTarget): void {
    this.disabledTargets.delete(targetKey(target));
    this.announce(target, false);
  }

  /** Hears every `disable` / `enable` made on this replica; returns the unsubscribe function. */
  onKillSwitch(listener: KillSwitchListener): () => void {
    this.killSwitchListeners.add(listener);
    return () => this.killSwitchListeners.delete(listener);
  }

  /** Adopts the switches in force across replicas, silently (they came from the shared store). */
  replaceKillSwitches(targets: readonly KillSwitchTarget[]): void {
    this.disabledTargets.clear();
    for (const target of targets) this.disabledTargets.set(targetKey(target), target);
  }

  private announce(target: KillSwitchTarget, disabled: boolean): void {
    for (const listener of [...this.killSwitchListeners]) listener(target, disabled);
  }

  isDisabled(id: string, provider: string, model: string): boolean {
    return (
      this.disabledTargets.has(targetKey({ deployment: id })) ||
      this.disabledTargets.has(targetKey({ provider })) ||
      this.disabledTargets.has(targetKey({ model }))
    );
  }

  /** The kill switches in force, for `/admin`. */
  killSwitches(): KillSwitchTarget[] {
    return [...this.disabledTargets.values()];
  }

  /** Each deployment's state now, in the given order: what the balancers score and `/admin` shows. */
  snapshot(deployments: readonly DeploymentRef[]): DeploymentSnapshot[] {
    const now = this.clock.now();
    return deployments.map((ref) => {
      const state = this.states.get(ref.id);
      const latencyMs = state === undefined ? undefined : this.decayedLatency(state, now);
      const quotaHeadroomNow = state === undefined ? undefined : this.headroom(state, now);
      const coolingDownUntil = state?.coolingDownUntil;
      return {
        id: ref.id,
        weight: ref.weight,
        healthWeight: ref.healthWeight ?? 1,
        outstanding: state?.outstanding ?? 0,
        ...(latencyMs === undefined ? {} : { latencyMs }),
        ...(quotaHeadroomNow === undefined ? {} : { quotaHeadroom: quotaHeadroomNow }),
        ...(coolingDownUntil === undefined || coolingDownUntil <= now ? {} : { coolingDownUntil }),
        disabled: this.isDisabled(ref.id, ref.provider, ref.model),
      };
    });
  }

  private headroom(state: DeploymentState, now: number): number | undefined {
    for (const [name, reading] of state.quotas) {
      if (reading.expiresAt <= now) state.quotas.delete(name);
    }
    return quotaHeadroom([...state.quotas.values()]);
  }
}

export function targetKey(target: KillSwitchTarget): string {
  if ('deployment' in target) return `deployment:${target.deployment}`;
  if ('provider' in target) return `provider:${target.provider}`;
  return `model:${target.model}`;
}
