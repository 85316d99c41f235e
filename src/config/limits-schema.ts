/** The `limits` section: where the per-key and per-tenant rate and concurrency counters live (DESIGN.md §6). */
import { z } from 'zod';

export const limitsConfigSchema = z.strictObject({
  /** `memory`: this process only (one node). `redis`: shared by every replica, exact across them. */
  store: z.enum(['memory', 'redis']).default('memory'),
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
