/**
 * Sharing breaker transitions between gateway nodes (DESIGN.md §4: "state is shared through Redis in cluster
 * mode"). A node publishes its own transitions and applies the ones other nodes publish, so when one node sees a
 * deployment fail, the others stop sending it traffic too. Only transitions travel, not counts: each node still
 * decides on its own traffic, and a lost message only costs the sharing, never correctness.
 *
 * `publish` may be asynchronous (Redis pub/sub); breakers never await it on the request path. Implementations:
 * `InMemoryBreakerStateStore` below (gateways in one process), `stores/redis/breaker-state-store.ts` (replicas).
 */
import type { BreakerState, TransitionReason } from './circuit-breaker.js';

export interface BreakerTransition {
  deploymentId: string;
  from: BreakerState;
  to: BreakerState;
  reason: TransitionReason;
  /** The node that made the transition, so it can ignore its own messages coming back. */
  origin: string;
  /** How long ago it was made, when not just now (a replica catching up after it started or reconnected). */
  ageMs?: number;
}

export interface BreakerStateStore {
  publish(transition: BreakerTransition): void | Promise<void>;
  /** Calls `listener` for every published transition (its own included); returns the unsubscribe function. */
  subscribe(listener: (transition: BreakerTransition) => void): () => void;
}

/**
 * In-process store: on a single node it shares nothing (a node ignores its own transitions); gateways created in
 * the same process with the same store instance share breaker transitions, as nodes sharing Redis would.
 */
export class InMemoryBreakerStateStore implements BreakerStateStore {
  private readonly listeners = new Set<(transition: BreakerTransition) => void>();

  publish(transition: BreakerTransition): void {
    for (const listener of [...this.listeners]) listener(transition);
  }

  subscribe(listener: (transition: BreakerTransition) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
