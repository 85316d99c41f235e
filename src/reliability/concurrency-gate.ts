/**
 * Overload protection (issue 4 §9): a per-deployment cap on requests in flight, with a bounded wait queue
 * ordered by priority (higher first, arrival order within a priority). When the queue is full the lowest
 * priority waiter is shed, the newcomer itself when it ranks lowest; a waiter whose deadline would pass, or
 * whose signal aborts, leaves the queue at once. Shed and expired waiters get a retryable `overloaded` (503)
 * whose retry-after is estimated from recent service times, so the attempt loop can try another deployment.
 *
 *   const gate = gates.gate(deploymentId);            // undefined: no `max_concurrency`, nothing to wait for
 *   const release = gate && (await gate.acquire({ priority, deadlineAt, signal }));
 *   try { ... } finally { release?.(); }
 */
import { systemClock, type Clock } from '../core/clock.js';
import type { DeploymentConfig } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import { systemTimers, type TimerHandle, type Timers } from '../core/timers.js';

/** Frees the slot; calling it again does nothing. */
export type ReleaseSlot = () => void;

export interface AcquireOptions {
  /** Higher is served first; equal priorities are served in arrival order. */
  priority: number;
  /** Clock time (ms, core/clock) after which waiting is pointless; `Infinity` for none. */
  deadlineAt: number;
  signal: AbortSignal;
}

export interface GateLimits {
  /** Slots in flight at once. */
  maxConcurrency: number;
  /** Requests that may wait; 0 sheds at once when every slot is taken. */
  maxQueue: number;
}

export interface GateStats extends GateLimits {
  inFlight: number;
  queued: number;
  /** Waiters (or newcomers) shed because the queue was full. */
  shed: number;
  /** Waiters that left because their deadline passed or would pass before a slot frees. */
  expired: number;
  /** Waiters whose signal aborted while queued. */
  aborted: number;
  /** Smoothed time a slot is held, ms; undefined until the first release. */
  serviceMs: number | undefined;
}

export interface GateOptions {
  clock?: Clock;
  timers?: Timers;
}

interface Waiter {
  priority: number;
  resolve(release: ReleaseSlot): void;
  reject(reason: unknown): void;
  signal: AbortSignal;
  onAbort(): void;
  deadlineTimer: TimerHandle | undefined;
}

/** Weight of the newest sample in the service-time average. */
const serviceSmoothing = 0.2;
/** Retry-after when nothing has been measured yet, and its ceiling. */
const defaultRetryAfterSeconds = 1;
const maxRetryAfterSeconds = 60;

export class ConcurrencyGate {
  private limits: GateLimits;
  private readonly queue: Waiter[] = [];
  private inFlight = 0;
  private shed = 0;
  private expired = 0;
  private aborted = 0;
  private serviceMs: number | undefined;
  private readonly clock: Clock;
  private readonly timers: Timers;

  constructor(
    readonly id: string,
    limits: GateLimits,
    options: GateOptions = {},
  ) {
    this.limits = { ...limits };
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemTimers;
  }

  /** Resolves with a release once a slot is free; rejects with `overloaded` or the signal's reason. */
  acquire(options: AcquireOptions): Promise<ReleaseSlot> {
    if (options.signal.aborted) return Promise.reject(options.signal.reason);
    if (this.inFlight < this.limits.maxConcurrency) return Promise.resolve(this.grant());

    const now = this.clock.now();
    const position = this.insertionIndex(options.priority);
    const expectedWait = this.expectedWaitMs(position);
    if (options.deadlineAt <= now || (expectedWait !== undefined && now + expectedWait > options.deadlineAt)) {
      this.expired++;
      return Promise.reject(this.deadlineError());
    }
    if (this.queue.length >= this.limits.maxQueue) {
      const lowest = this.queue.at(-1);
      if (lowest === undefined || lowest.priority >= options.priority) {
        this.shed++;
        return Promise.reject(this.queueFullError());
      }
      this.queue.pop();
      this.shed++;
      this.leave(lowest, this.queueFullError());
    }
    return new Promise<ReleaseSlot>((resolve, reject) => {
      const waiter: Waiter = {
        priority: options.priority,
        resolve,
        reject,
        signal: options.signal,
        onAbort: () => {
          if (!this.remove(waiter)) return;
          this.aborted++;
          this.leave(waiter, options.signal.reason);
        },
        deadlineTimer: undefined,
      };
      if (Number.isFinite(options.deadlineAt)) {
        waiter.deadlineTimer = this.timers.setTimeout(() => {
          if (!this.remove(waiter)) return;
          this.expired++;
          this.leave(waiter, this.deadlineError());
        }, options.deadlineAt - now);
      }
      options.signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.queue.splice(position, 0, waiter);
    });
  }

  /** Applies new limits (config reload). Waiters are kept; a raised cap admits them at once. */
  setLimits(limits: GateLimits): void {
    this.limits = { ...limits };
    this.admitWaiters();
  }

  stats(): GateStats {
    return {
      ...this.limits,
      inFlight: this.inFlight,
      queued: this.queue.length,
      shed: this.shed,
      expired: this.expired,
      aborted: this.aborted,
      serviceMs: this.serviceMs,
    };
  }

  private grant(): ReleaseSlot {
    this.inFlight++;
    const grantedAt = this.clock.now();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
      this.recordService(this.clock.now() - grantedAt);
      this.admitWaiters();
    };
  }

  private admitWaiters(): void {
    while (this.inFlight < this.limits.maxConcurrency) {
      const next = this.queue.shift();
      if (next === undefined) return;
      this.detach(next);
      next.resolve(this.grant());
    }
  }

  /** After every waiter of the same or higher priority: FIFO within a priority. */
  private insertionIndex(priority: number): number {
    let low = 0;
    let high = this.queue.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.queue[middle]?.priority ?? -Infinity) >= priority) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private remove(waiter: Waiter): boolean {
    const index = this.queue.indexOf(waiter);
    if (index < 0) return false;
    this.queue.splice(index, 1);
    return true;
  }

  private leave(waiter: Waiter, reason: unknown): void {
    this.detach(waiter);
    waiter.reject(reason);
  }

  private detach(waiter: Waiter): void {
    if (waiter.deadlineTimer !== undefined) this.timers.clearTimeout(waiter.deadlineTimer);
    waiter.signal.removeEventListener('abort', waiter.onAbort);
  }

  private recordService(ms: number): void {
    this.serviceMs = this.serviceMs === undefined ? ms : this.serviceMs + serviceSmoothing * (ms - this.serviceMs);
  }

  /**
   * A cautious lower bound of the wait for a newcomer with `ahead` waiters before it: every full round of
   * `maxConcurrency` releases ahead of it costs at least one service time. Undefined until measured.
   */
  private expectedWaitMs(ahead: number): number | undefined {
    if (this.serviceMs === undefined) return undefined;
    return Math.floor(ahead / this.limits.maxConcurrency) * this.serviceMs;
  }

  /** About the time to work off what is in flight and queued now. */
  private retryAfterSeconds(): number {
    if (this.serviceMs === undefined) return defaultRetryAfterSeconds;
    const rounds = this.queue.length / this.limits.maxConcurrency + 1;
    return Math.min(maxRetryAfterSeconds, (rounds * this.serviceMs) / 1000);
  }

  private load(): string {
    return `${this.inFlight} in flight, ${this.queue.length} waiting`;
  }

  private queueFullError(): GatewayError {
    return new GatewayError(
      'overloaded',
      `Deployment ${this.id} is overloaded (${this.load()}, queue full); the request was shed in favour of higher priority traffic. Retry later.`,
      { retryable: true, retryAfterSeconds: this.retryAfterSeconds() },
    );
  }

  private deadlineError(): GatewayError {
    return new GatewayError(
      'overloaded',
      `Deployment ${this.id} is overloaded (${this.load()}); no slot frees up before the request's deadline.`,
      { retryable: true, retryAfterSeconds: this.retryAfterSeconds() },
    );
  }
}

/** The `max_concurrency` / `max_queue` fields of a deployment's config. */
export type DeploymentConcurrencyConfig = Pick<DeploymentConfig, 'max_concurrency' | 'max_queue'>;

/** One gate per deployment that sets `max_concurrency`; deployments without it have no gate at all. */
export class ConcurrencyGates {
  private readonly gates = new Map<string, ConcurrencyGate>();

  constructor(private readonly options: GateOptions = {}) {}

  /** The deployment's gate, or undefined when it is not capped (skip acquire entirely). */
  gate(id: string): ConcurrencyGate | undefined {
    return this.gates.get(id);
  }

  /**
   * Applies the config's limits by deployment id (startup and reload). Kept gates keep their waiters and
   * slots; a gate that is no longer configured is dropped after admitting everyone still waiting on it.
   */
  configure(limitsById: Readonly<Record<string, DeploymentConcurrencyConfig>>): void {
    for (const [id, gate] of this.gates) {
      if (limitsById[id]?.max_concurrency !== undefined) continue;
      gate.setLimits({ maxConcurrency: Infinity, maxQueue: 0 });
      this.gates.delete(id);
    }
    for (const [id, config] of Object.entries(limitsById)) {
      if (config.max_concurrency === undefined) continue;
      const limits = { maxConcurrency: config.max_concurrency, maxQueue: config.max_queue };
      const existing = this.gates.get(id);
      if (existing) existing.setLimits(limits);
      else this.gates.set(id, new ConcurrencyGate(id, limits, this.options));
    }
  }

  /** For /admin and metrics: only capped deployments appear. */
  stats(): Record<string, GateStats> {
    return Object.fromEntries([...this.gates].map(([id, gate]) => [id, gate.stats()]));
  }
}
