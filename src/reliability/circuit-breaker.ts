/**
 * A circuit breaker per deployment (DESIGN.md §4). Clock-driven and free of I/O:
 *
 *   closed ──(N failures in a row, or error rate > threshold once the window holds min_requests)──▶ open
 *   open ──(open_ms elapsed)──▶ half_open: at most `half_open_probes` probes in flight
 *   half_open ──(any probe fails)──▶ open, for a fresh open period
 *   half_open ──(`half_open_probes` probes succeeded)──▶ recovering: weight steps through `recovery_steps`,
 *                                                       one step per `recovery_step_ms`
 *   recovering ──(a failure)──▶ open          recovering ──(weight reaches 1)──▶ closed
 *
 * Timed transitions happen when the breaker is next consulted, dated at the moment they were due.
 * Use: `const admission = breaker.allowRequest()`; if allowed, send, then report the outcome with
 * `onSuccess(admission)` / `onFailure(admission)` (when `countsAsFailure(error)`), or `release(admission)` when the
 * attempt says nothing about the deployment (client left, caller's own error). A probe's slot is only freed that
 * way, so always hand the same admission object back. `weight()` scales the deployment's balancing weight.
 */
import type { z } from 'zod';
import type { circuitBreakerSchema } from '../config/resilience-schema.js';
import type { Clock } from '../core/clock.js';
import type { ErrorCode, GatewayError } from '../core/errors.js';
import { SlidingCounts } from './sliding-window.js';

export type BreakerState = 'closed' | 'open' | 'half_open' | 'recovering';

export type TransitionReason =
  | 'consecutive_failures'
  | 'error_rate'
  | 'open_elapsed'
  | 'probe_failed'
  | 'probes_succeeded'
  | 'recovery_failed'
  | 'recovered'
  | 'disabled'
  /** Another node opened the breaker for this deployment. */
  | 'remote_open'
  /** Another node's probes succeeded: skip probing here and recover too. */
  | 'remote_recovering';

export interface CircuitBreakerOptions {
  enabled: boolean;
  consecutiveFailures: number;
  /** Opens when failures / requests over the window exceeds this... */
  errorRate: number;
  windowMs: number;
  /** ...once the window holds at least this many requests. */
  minRequests: number;
  openMs: number;
  halfOpenProbes: number;
  /** Weights during recovery, e.g. [0.1, 0.25, 0.5, 1]; the first weight ≥ 1 (or the end) closes the breaker. */
  recoverySteps: readonly number[];
  recoveryStepMs: number;
}

export function circuitBreakerOptionsFromConfig(config: z.output<typeof circuitBreakerSchema>): CircuitBreakerOptions {
  return {
    enabled: config.enabled,
    consecutiveFailures: config.consecutive_failures,
    errorRate: config.error_rate,
    windowMs: config.window_ms,
    minRequests: config.min_requests,
    openMs: config.open_ms,
    halfOpenProbes: config.half_open_probes,
    recoverySteps: [...config.recovery_steps],
    recoveryStepMs: config.recovery_step_ms,
  };
}

/** Failures that say something about the deployment; the caller's own mistakes and departures do not. */
const deploymentFailures: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'upstream_error',
  'upstream_bad_response',
  'upstream_auth_failed',
  'upstream_unavailable',
  'upstream_timeout',
  'upstream_rate_limited',
]);

export function countsAsFailure(error: GatewayError): boolean {
  return deploymentFailures.has(error.code);
}

/** Whether to send the request, and whether it is a half-open probe. Hand it back to onSuccess/onFailure/release. */
export interface Admission {
  readonly allowed: boolean;
  readonly probe: boolean;
}

const admitted: Admission = Object.freeze({ allowed: true, probe: false });
const refused: Admission = Object.freeze({ allowed: false, probe: false });

/** A plain, serialisable view for /admin and metrics. `since` is on the breaker's clock (monotonic ms). */
export interface BreakerSnapshot {
  state: BreakerState;
  since: number;
  consecutiveFailures: number;
  windowRequests: number;
  windowFailures: number;
  weight: number;
  openedCount: number;
}

export type BreakerTransitionListener = (from: BreakerState, to: BreakerState, reason: TransitionReason) => void;

export class CircuitBreaker {
  private options: CircuitBreakerOptions;
  private current: BreakerState = 'closed';
  private since: number;
  private consecutiveFailures = 0;
  private openedCount = 0;
  private readonly window: SlidingCounts<'requests' | 'failures'>;
  private readonly probesInFlight = new Set<Admission>();
  private probeSuccesses = 0;

  constructor(
    options: CircuitBreakerOptions,
    private readonly clock: Clock,
    private readonly onTransition: BreakerTransitionListener = () => {},
  ) {
    this.options = { ...options, recoverySteps: [...options.recoverySteps] };
    this.since = clock.now();
    this.window = new SlidingCounts(options.windowMs, ['requests', 'failures']);
  }

  allowRequest(): Admission {
    const state = this.advance();
    if (!this.options.enabled || state === 'closed' || state === 'recovering') return admitted;
    if (state === 'open') return refused;
    if (this.probesInFlight.size + this.probeSuccesses >= this.options.halfOpenProbes) return refused;
    const probe: Admission = Object.freeze({ allowed: true, probe: true });
    this.probesInFlight.add(probe);
    return probe;
  }

  /** Share of the deployment's normal weight: 1 closed, 0 open or half-open (probes aside), the step while recovering. */
  weight(): number {
    return this.weightIn(this.advance());
  }

  onSuccess(admission: Admission = admitted): void {
    const state = this.advance();
    if (!this.options.enabled) return;
    if (admission.probe) {
      if (!this.probesInFlight.delete(admission)) return; // from an earlier half-open period
      this.consecutiveFailures = 0;
      this.probeSuccesses += 1;
      if (this.probeSuccesses >= this.options.halfOpenProbes) this.transition('recovering', 'probes_succeeded');
      return;
    }
    // Outcomes of requests let through before the breaker opened say nothing about the deployment now.
    if (state !== 'closed' && state !== 'recovering') return;
    this.consecutiveFailures = 0;
    this.window.add('requests', this.clock.now());
  }

  onFailure(admission: Admission = admitted): void {
    const state = this.advance();
    if (!this.options.enabled) return;
    if (admission.probe) {
      if (!this.probesInFlight.delete(admission)) return;
      this.consecutiveFailures += 1;
      this.transition('open', 'probe_failed');
      return;
    }
    if (state !== 'closed' && state !== 'recovering') return;
    this.consecutiveFailures += 1;
    if (state === 'recovering') {
      this.transition('open', 'recovery_failed');
      return;
    }
    const now = this.clock.now();
    this.window.add('requests', now);
    this.window.add('failures', now);
    if (this.consecutiveFailures >= this.options.consecutiveFailures) {
      this.transition('open', 'consecutive_failures');
      return;
    }
    const { requests, failures } = this.window.totals(now);
    if (requests >= this.options.minRequests && failures / requests > this.options.errorRate) {
      this.transition('open', 'error_rate');
    }
  }

  /** Ends an admitted attempt without a verdict on the deployment, freeing its probe slot if it was a probe. */
  release(admission: Admission): void {
    this.probesInFlight.delete(admission);
  }

  /** The current state, after any transition that was due (cheaper than `state()`: no window totals). */
  currentState(): BreakerState {
    return this.advance();
  }

  state(): BreakerSnapshot {
    const state = this.advance();
    const { requests, failures } = this.window.totals(this.clock.now());
    return {
      state,
      since: this.since,
      consecutiveFailures: this.consecutiveFailures,
      windowRequests: requests,
      windowFailures: failures,
      weight: this.weightIn(state),
      openedCount: this.openedCount,
    };
  }

  /** Config reload: new thresholds apply from now on; state and counts are kept. Disabling closes the breaker. */
  updateOptions(options: CircuitBreakerOptions): void {
    this.options = { ...options, recoverySteps: [...options.recoverySteps] };
    this.window.resize(options.windowMs, this.clock.now());
    if (!options.enabled && this.current !== 'closed') {
      this.consecutiveFailures = 0;
      this.transition('closed', 'disabled');
    }
  }

  /**
   * Follows a transition another node made `ageMs` ago: its opening, or its successful probes. Dated then, so
   * an opening heard late (a replica that just started) does not keep the breaker open longer than `open_ms`
   * from the moment it really opened. Returns whether it applied.
   */
  applyRemote(to: BreakerState, ageMs = 0): boolean {
    const state = this.advance();
    if (!this.options.enabled) return false;
    const now = this.clock.now();
    const at = now - Math.max(0, ageMs);
    if (to === 'open' && state !== 'open') {
      if (at + this.options.openMs <= now) return false; // its open period is already over
      this.transition('open', 'remote_open', at);
      return true;
    }
    if (to === 'recovering' && (state === 'open' || state === 'half_open')) {
      this.transition('recovering', 'remote_recovering', at);
      return true;
    }
    return false;
  }

  /** Makes the transitions that were due by now: open → half_open, recovering → closed. */
  private advance(): BreakerState {
    const now = this.clock.now();
    if (this.current === 'open' && now >= this.since + this.options.openMs) {
      this.transition('half_open', 'open_elapsed', this.since + this.options.openMs);
    } else if (this.current === 'recovering') {
      const closesAt = this.since + this.closingStep() * this.options.recoveryStepMs;
      if (now >= closesAt) this.transition('closed', 'recovered', closesAt);
    }
    return this.current;
  }

  /** Index of the first recovery step at full weight (or past the end): reaching it closes the breaker. */
  private closingStep(): number {
    const full = this.options.recoverySteps.findIndex((step) => step >= 1);
    return full === -1 ? this.options.recoverySteps.length : full;
  }

  private weightIn(state: BreakerState): number {
    if (!this.options.enabled || state === 'closed') return 1;
    if (state !== 'recovering') return 0;
    const step = Math.floor((this.clock.now() - this.since) / this.options.recoveryStepMs);
    return this.options.recoverySteps[Math.min(step, this.closingStep() - 1)] ?? 1;
  }

  private transition(to: BreakerState, reason: TransitionReason, at = this.clock.now()): void {
    const from = this.current;
    this.current = to;
    this.since = at;
    this.probesInFlight.clear();
    this.probeSuccesses = 0;
    if (to === 'open') {
      this.openedCount += 1;
      this.window.clear();
    }
    if (to === 'recovering') this.consecutiveFailures = 0;
    this.onTransition(from, to, reason);
  }
}
