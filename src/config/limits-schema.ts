/** The `limits` section: where the per-key and per-tenant rate and concurrency counters live (DESIGN.md §6). */
import { z } from 'zod';

export const limitsConfigSchema = z.strictObject({
  /** `memory`: this process only (one node). `redis`: shared by every replica, exact across them. */
  store: z.enum(['memory', 'redis']).default('memory'),
  /**
   * `gcra`: smooth, O(1) state per limit; N at once, then one every 60/N s, so a busy minute can see slightly
   * more than N. `sliding_window`: exact, at most N in any trailing minute; O(limit) state per limit.
   */
  algorithm: z.enum(['gcra', 'sliding_window']).default('gcra'),
  /** Redis URL for `store: redis` (default: REDIS_URL). */
  redis_url: z.string().min(1).optional(),
  /** Namespace of the Redis keys. */
  redis_prefix: z.string().min(1).default('sy:rl:'),
  /** Longest a limit check may take before it counts as failed. */
  timeout_ms: z.number().int().positive().max(10_000).default(250),
  /** When the store fails: let the request through (true) or refuse it with 503 limits_unavailable (false). */
  fail_open: z.boolean().default(true),
});

export type LimitsConfig = z.output<typeof limitsConfigSchema>;
