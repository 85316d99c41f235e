/**
 * Requests/min and concurrent requests per virtual key and per tenant (DESIGN.md §6), checked once the caller
 * is known and its model allowed. Refusals are 429 rate_limited with `retry-after`; the tightest requests/min
 * limit also goes out as `x-ratelimit-*-requests` headers on every response (see `api/respond.ts`). Concurrency
 * slots are given back when the response ends (`ctx.releaseLimits`, called by dispatch). The master key and
 * open (demo) callers are not limited. When the store fails the request goes through (`fail_open`) or is
 * refused with 503 limits_unavailable.
 */
import { randomUUID } from 'node:crypto';
import type { GatewayContext } from '../core/context.js';
import { GatewayError } from '../core/errors.js';
import type { Limits } from '../core/tenancy.js';
import type { ConcurrencyCheck, RateCheck, RateDecision, RateLimiter } from '../limits/types.js';

export interface RateLimitOptions {
  /** Read per request, so a config reload applies at once. */
  failOpen(): boolean;
  /** The store failed (logged by the caller; the request then goes on per `failOpen`). */
  onStoreError?(error: unknown): void;
}

// Slots outlive a request only if its replica died; its deadline bounds it otherwise.
const LEASE_MARGIN_MS = 5000;
const DEFAULT_LEASE_MS = 600_000;

function limitsOf(ctx: GatewayContext): { rates: RateCheck[]; slots: ConcurrencyCheck[] } {
  const rates: RateCheck[] = [];
  const slots: ConcurrencyCheck[] = [];
  if (ctx.caller?.kind !== 'key') return { rates, slots };
  const scopes: [scope: string, id: string, limits: Limits][] = [
    ['key', ctx.caller.key.id, ctx.caller.key.limits],
    ['tenant', ctx.caller.tenant.id, ctx.caller.tenant.limits],
  ];
  for (const [scope, id, limits] of scopes) {
    if (limits.requests_per_minute !== undefined) rates.push({ key: `${scope}:${id}:rpm`, limit: limits.requests_per_minute, cost: 1 });
    if (limits.concurrent_requests !== undefined) slots.push({ key: `${scope}:${id}:concurrent`, limit: limits.concurrent_requests });
  }
  return { rates, slots };
}

const scopeOf = (key: string) => (key.startsWith('tenant:') ? 'tenant' : 'API key');

/** The refusing decision, else the one with the least left: what the headers report. */
function tightest(decisions: readonly RateDecision[]): number {
  let pick = 0;
  decisions.forEach((decision, index) => {
    const current = decisions[pick]!;
    if (current.allowed && (!decision.allowed || decision.remaining < current.remaining)) pick = index;
  });
  return pick;
}

function leaseTtlMs(ctx: GatewayContext): number {
  return Number.isFinite(ctx.deadlineAt) ? Math.max(1, ctx.deadlineAt - performance.now()) + LEASE_MARGIN_MS : DEFAULT_LEASE_MS;
}

export function rateLimit(limiter: RateLimiter, options: RateLimitOptions): (ctx: GatewayContext) => Promise<void> {
  async function acquireSlots(ctx: GatewayContext, slots: ConcurrencyCheck[]): Promise<void> {
    const leaseId = randomUUID();
    const outcome = await limiter.acquire(slots, leaseId, leaseTtlMs(ctx));
    if (!outcome.allowed) {
      const index = outcome.decisions.findIndex((decision) => !decision.allowed);
      const limit = outcome.decisions[index]?.limit ?? 0;
      throw new GatewayError(
        'rate_limited',
        `Too many concurrent requests for this ${scopeOf(slots[index]?.key ?? '')}: the limit is ${limit} at a time.`,
        { retryAfterSeconds: 1 },
      );
    }
    const keys = slots.map((slot) => slot.key);
    let released = false;
    ctx.releaseLimits = () => {
      if (released) return;
      released = true;
      limiter.release(keys, leaseId).catch((error: unknown) => options.onStoreError?.(error));
    };
  }

  async function chargeRates(ctx: GatewayContext, rates: RateCheck[]): Promise<void> {
    const outcome = await limiter.check(rates);
    const index = tightest(outcome.decisions);
    const decision = outcome.decisions[index]!;
    ctx.rateLimit = decision;
    if (outcome.allowed) return;
    ctx.releaseLimits?.();
    const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    throw new GatewayError(
      'rate_limited',
      `Rate limit reached for requests on this ${scopeOf(rates[index]!.key)}: ${decision.limit} per minute. Try again in ${seconds}s.`,
      { retryAfterSeconds: decision.retryAfterMs / 1000 },
    );
  }

  return async function admit(ctx) {
    const { rates, slots } = limitsOf(ctx);
    if (rates.length === 0 && slots.length === 0) return;
    try {
      if (slots.length > 0) await acquireSlots(ctx, slots);
      if (rates.length > 0) await chargeRates(ctx, rates);
    } catch (error) {
      if (error instanceof GatewayError) throw error;
      options.onStoreError?.(error);
      if (options.failOpen()) return;
      ctx.releaseLimits?.();
      throw new GatewayError('limits_unavailable', 'Rate limits cannot be checked right now; try again shortly.', {
        retryAfterSeconds: 1,
        cause: error,
      });
    }
  };
}
