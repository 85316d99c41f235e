/**
 * The circuit breakers of all deployments: one per deployment id, created on first use, updated in place on
 * config reload, observable through transition listeners (metrics, alerts, logs) and `snapshot()` (/admin), and
 * shared with other nodes through a `BreakerStateStore` when one is given.
 */
import type { Clock } from '../core/clock.js';
import type { BreakerStateStore, BreakerTransition } from './circuit-breaker-store.js';
import {
  CircuitBreaker,
  type BreakerSnapshot,
  type BreakerState,
  type CircuitBreakerOptions,
  type TransitionReason,
} from './circuit-breaker.js';

export type TransitionListener = (deploymentId: string, from: BreakerState, to: BreakerState, reason: TransitionReason) => void;

export interface BreakerSharingOptions {
  /** Where transitions are published to and heard from; none: this node keeps its breakers to itself. */
  store?: BreakerStateStore;
  /** This node's name in published transitions; a random id by default. */
  nodeId?: string;
  /** A failed publish or a throwing listener; these never fail the request that caused the transition. */
  onError?: (error: unknown) => void;
}

export class CircuitBreakers {
  private options: CircuitBreakerOptions;
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly listeners = new Set<TransitionListener>();
  private readonly nodeId: string;
  private readonly unsubscribe: () => void;

  constructor(
    options: CircuitBreakerOptions,
    private readonly clock: Clock,
    private readonly sharing: BreakerSharingOptions = {},
  ) {
    this.options = options;
    this.nodeId = sharing.nodeId ?? crypto.randomUUID();
    this.unsubscribe = sharing.store?.subscribe((transition) => this.applyRemote(transition)) ?? (() => {});
  }

  get(deploymentId: string): CircuitBreaker {
    let breaker = this.breakers.get(deploymentId);
    if (breaker === undefined) {
      breaker = new CircuitBreaker(this.options, this.clock, (from, to, reason) =>
        this.transitioned(deploymentId, from, to, reason),
      );
      this.breakers.set(deploymentId, breaker);
    }
    return breaker;
  }

  /** Config reload: every breaker keeps its state and counts under the new options. */
  updateOptions(options: CircuitBreakerOptions): void {
    this.options = options;
    for (const breaker of this.breakers.values()) breaker.updateOptions(options);
  }

  /** Forgets deployments that are no longer configured (after a reload). */
  retainOnly(deploymentIds: Iterable<string>): void {
    const keep = new Set(deploymentIds);
    for (const id of this.breakers.keys()) if (!keep.has(id)) this.breakers.delete(id);
  }

  snapshot(): Record<string, BreakerSnapshot> {
    return Object.fromEntries([...this.breakers].map(([id, breaker]) => [id, breaker.state()]));
  }

  /** Subscribes to every transition, local or applied from another node; returns the unsubscribe function. */
  onTransition(listener: TransitionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops hearing other nodes' transitions (shutdown). */
  close(): void {
    this.unsubscribe();
  }

  private transitioned(deploymentId: string, from: BreakerState, to: BreakerState, reason: TransitionReason): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(deploymentId, from, to, reason);
      } catch (error) {
        this.sharing.onError?.(error);
      }
    }
    if (reason === 'remote_open' || reason === 'remote_recovering') return; // not ours to re-publish
    this.publish({ deploymentId, from, to, reason, origin: this.nodeId });
  }

  private publish(transition: BreakerTransition): void {
    const { store, onError } = this.sharing;
    if (store === undefined) return;
    try {
      const published = store.publish(transition);
      // Never awaited: the request that tripped the breaker does not wait for the other nodes to hear of it.
      if (published instanceof Promise) published.catch((error: unknown) => onError?.(error));
    } catch (error) {
      onError?.(error);
    }
  }

  private applyRemote(transition: BreakerTransition): void {
    if (transition.origin === this.nodeId) return;
    try {
      this.get(transition.deploymentId).applyRemote(transition.to, transition.ageMs);
    } catch (error) {
      this.sharing.onError?.(error);
    }
  }
}
