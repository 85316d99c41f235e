/**
 * The `shared_state` section: where replicas share circuit-breaker transitions and admin kill switches
 * (DESIGN.md §4, §12). `memory` keeps them per process; `redis` shares them across every replica on one Redis.
 * See docs/resilience.md ("Across replicas").
 */
import { z } from 'zod';

export const sharedStateConfigSchema = z.strictObject({
  store: z.enum(['memory', 'redis']).default('memory'),
  /** Redis URL for `store: redis` (default: REDIS_URL). */
  redis_url: z.string().min(1).optional(),
  /** Namespace of the Redis keys and channels. */
  redis_prefix: z.string().min(1).default('sy:'),
  /** Longest one Redis command may take (never on a request's path: transitions and switches are sent in the background). */
  timeout_ms: z.number().int().positive().max(10_000).default(1000),
  /**
   * How often each replica re-reads the kill switches from Redis, besides hearing changes at once: the bound on
   * how stale a replica can be when a change message was lost (e.g. during a Redis blip).
   */
  sync_interval_ms: z.number().int().min(100).max(600_000).default(5000),
});

export type SharedStateConfig = z.output<typeof sharedStateConfigSchema>;
