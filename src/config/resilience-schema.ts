/** The `resilience:` block and the per-model/per-deployment resilience fields (DESIGN.md §4, §5). */
import { z } from 'zod';

const ms = z.number().int().min(0);
const share = z.number().min(0).max(1);

export const retrySchema = z.strictObject({
  /**
   * Attempts per model in the fallback chain, the first included: the requested model's deployments get this
   * many tries, then each fallback model gets as many.
   */
  max_attempts: z.number().int().min(1).max(10).default(3),
  /** Full-jitter exponential backoff: a retry waits random(0, min(max, base × 2^n)). */
  base_delay_ms: ms.default(100),
  max_delay_ms: ms.default(4000),
  /** Retries may be at most this share of a deployment's recent requests... */
  budget_ratio: share.default(0.2),
  /** ...but this many per second are always allowed. */
  budget_min_per_second: z.number().min(0).default(3),
  budget_window_ms: z.number().int().positive().default(10_000),
});

export const circuitBreakerSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Opens after this many failures in a row... */
  consecutive_failures: z.number().int().min(1).default(5),
  /** ...or when the error rate over the window exceeds this, once the window holds `min_requests`. */
  error_rate: share.default(0.2),
  window_ms: z.number().int().positive().default(60_000),
  min_requests: z.number().int().min(1).default(20),
  /** Time open before probing (half-open). */
  open_ms: z.number().int().positive().default(30_000),
  /** Probe requests let through while half-open; all must succeed to start recovery. */
  half_open_probes: z.number().int().min(1).default(3),
  /** Traffic share during recovery, stepped up every `recovery_step_ms` without failures. */
  recovery_steps: z.array(z.number().gt(0).max(1)).min(1).default([0.1, 0.25, 0.5, 1]),
  recovery_step_ms: z.number().int().positive().default(10_000),
});

export const healthCheckSchema = z.strictObject({
  enabled: z.boolean().default(true),
  interval_ms: z.number().int().min(1000).default(30_000),
  timeout_ms: z.number().int().positive().default(5_000),
  /** Outage alert: error rate over `outage_window_ms` above this fires an alert event. */
  outage_error_rate: share.default(0.2),
  outage_window_ms: z.number().int().positive().default(60_000),
  outage_min_requests: z.number().int().min(1).default(10),
});

export const resilienceSchema = z.strictObject({
  retries: retrySchema.prefault({}),
  circuit_breaker: circuitBreakerSchema.prefault({}),
  health_checks: healthCheckSchema.prefault({}),
  /** Per-attempt limit to the response headers (first byte); the request's own deadline still applies. */
  attempt_first_byte_timeout_ms: z.number().int().positive().optional(),
  /** Keep each deployment under this share of its upstream quota (read from x-ratelimit-* headers). */
  quota_share: share.default(0.7),
  /** Upper bound for `x-switchyard-timeout-ms`. */
  max_request_timeout_ms: z.number().int().positive().default(600_000),
});

export const routingStrategySchema = z.enum(['weighted', 'least_outstanding', 'latency', 'engine_aware']);

/** Fallbacks taken only for one kind of failure, before the general `fallbacks` list. */
export const conditionalFallbacksSchema = z.strictObject({
  context_length_exceeded: z.array(z.string().min(1)).default([]),
  content_filtered: z.array(z.string().min(1)).default([]),
  rate_limited: z.array(z.string().min(1)).default([]),
});

/** What to answer when every deployment and fallback failed (instead of a 503). */
export const degradedResponseSchema = z.strictObject({
  content: z.string().min(1),
});

export const deploymentLimitsFields = {
  /** Requests in flight to this deployment at once; more wait in a priority queue. */
  max_concurrency: z.number().int().min(1).optional(),
  /** Requests that may wait for this deployment; beyond it the lowest priority is shed with 503. */
  max_queue: z.number().int().min(0).default(100),
};
