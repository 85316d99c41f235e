/**
 * Requests/min, tokens/min and concurrent requests per virtual key and per tenant (DESIGN.md §6), checked once
 * the caller is known and its model allowed. Refusals are 429 rate_limited with `retry-after`; the tightest
 * requests/min and tokens/min limits also go out as `x-ratelimit-*` headers on every response (`api/respond.ts`).
 * Tokens/min reserves an estimate (input + max output) and is reconciled with the reported usage when the
 * response ends; concurrency slots are given back then too (`ctx.releaseLimits`, called by dispatch). The master
 * key and open (demo) callers are not limited. When the store fails the request goes through or is refused with
 * 503 limits_unavailable: each limited scope (key, tenant) decides by its own `fail_open`, else the config's, and
 * a request goes through only if every one of them fails open.
 */
import type { GatewayContext } from '../core/context.js';
import { GatewayError } from '../core/errors.js';
import { nextLeaseId } from '../core/lease-ids.js';
import type { ApiKey, Limits, Tenant } from '../core/tenancy.js';
import type { AdmissionOutcome, ConcurrencyCheck, RateCheck, RateDecision, RateLimiter } from '../limits/types.js';

export interface RateLimitOptions {
  /** The default for limits without their own `fail_open`; read per request, so a config reload applies at once. */
  failOpen(): boolean;
  /**
   * The store failed: the request was let through (`allowed`) or refused (`refused`), or a background release or
   * reconciliation was lost (`background`). Counted by the caller, never logged per request.
   */
  onStoreError?(error: unknown, outcome: StoreFailureOutcome): void;
}

export type StoreFailureOutcome = 'allowed' | 'refused' | 'background';

/** Estimates the request's tokens; only called when a tokens/min limit applies. */
export type TokenEstimate = () => number;

// Slots outlive a request only if its replica died; its deadline bounds it otherwise.
const LEASE_MARGIN_MS = 5000;
const DEFAULT_LEASE_MS = 600_000;

/** What applies to one key and its tenant: built once per pair of records (they are replaced, never changed). */
interface Plan {
  /** requests/min checks, cost 1 each. */
  requests: RateCheck[];
  /** tokens/min checks, cost 0: the request's estimate replaces it. */
  tokens: RateCheck[];
  slots: ConcurrencyCheck[];
  slotKeys: string[];
  /** The `fail_open` of each scope that has a limit (undefined: the config's). */
  failOpen: (boolean | undefined)[];
  /** No limit on either scope. */
  none: boolean;
}

function planOf(key: ApiKey, tenant: Tenant): Plan {
  const plan: Plan = { requests: [], tokens: [], slots: [], slotKeys: [], failOpen: [], none: true };
  const scopes: [scope: string, id: string, limits: Limits][] = [
    ['key', key.id, key.limits],
    ['tenant', tenant.id, tenant.limits],
  ];
  for (const [scope, id, limits] of scopes) {
    const { requests_per_minute: rpm, tokens_per_minute: tpm, concurrent_requests: concurrent } = limits;
    if (rpm !== undefined) plan.requests.push({ key: `${scope}:${id}:rpm`, limit: rpm, cost: 1 });
    if (tpm !== undefined) plan.tokens.push({ key: `${scope}:${id}:tpm`, limit: tpm, cost: 0 });
    if (concurrent !== undefined) plan.slots.push({ key: `${scope}:${id}:concurrent`, limit: concurrent });
    if (rpm !== undefined || tpm !== undefined || concurrent !== undefined) plan.failOpen.push(limits.fail_open);
  }
  plan.slotKeys = plan.slots.map((slot) => slot.key);
  plan.none = plan.failOpen.length === 0;
  return plan;
}

/**
 * Plans by key record, for the tenant record they were made with. The key cache replaces a record on every change
 * (a new version is a new object), so a changed limit gets a new plan and an old record's plan goes with it.
 */
const plans = new WeakMap<ApiKey, { tenant: Tenant; plan: Plan }>();

function limitsOf(key: ApiKey, tenant: Tenant): Plan {
  const cached = plans.get(key);
  if (cached !== undefined && cached.tenant === tenant) return cached.plan;
  const plan = planOf(key, tenant);
  plans.set(key, { tenant, plan });
  return plan;
}

/** The concurrency slots a request holds: the limit keys and its lease. */
interface Lease {
  keys: string[];
  leaseId: string;
}

const scopeOf = (key: string) => (key.startsWith('tenant:') ? 'tenant' : 'API key');

/** The refusing decision, else the one with the least left, among `decisions[from, to)`: what the headers report. */
function tightest(decisions: readonly RateDecision[], from: number, to: number): RateDecision | undefined {
  let pick: RateDecision | undefined;
  for (let index = from; index < to; index++) {
    const decision = decisions[index]!;
    if (pick === undefined || (pick.allowed && (!decision.allowed || decision.remaining < pick.remaining))) pick = decision;
  }
  return pick;
}

function leaseTtlMs(ctx: GatewayContext): number {
  return Number.isFinite(ctx.deadlineAt) ? Math.max(1, ctx.deadlineAt - performance.now()) + LEASE_MARGIN_MS : DEFAULT_LEASE_MS;
}

export function rateLimit(limiter: RateLimiter, options: RateLimitOptions): (ctx: GatewayContext, tokens: TokenEstimate) => Promise<void> {
  const reportError = (error: unknown) => options.onStoreError?.(error, 'background');

  /** Gives the slots back (if any) and adjusts the charge (if any) in one call to the store, in the background. */
  function giveBack(lease: Lease | undefined, checks: RateCheck[], charged: string | undefined): void {
    if (lease === undefined && checks.length === 0) return;
    limiter.releaseAndAdjust(lease?.keys ?? [], lease?.leaseId ?? '', checks, charged).catch(reportError);
  }

  /** The 429 for a refused admission: a refused slot first (as before, when slots were asked for first), else the rate. */
  function refusal(plan: Plan, checks: readonly RateCheck[], outcome: AdmissionOutcome): GatewayError {
    if (!outcome.slots.allowed) {
      const index = outcome.slots.decisions.findIndex((decision) => !decision.allowed);
      return new GatewayError(
        'rate_limited',
        `Too many concurrent requests for this ${scopeOf(plan.slots[index]?.key ?? '')}: the limit is ${outcome.slots.decisions[index]?.limit ?? 0} at a time.`,
        { retryAfterSeconds: 1 },
      );
    }
    const index = outcome.rates.decisions.findIndex((decision) => !decision.allowed);
    const decision = outcome.rates.decisions[index]!;
    const what = index < plan.requests.length ? 'requests' : 'tokens';
    const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    return new GatewayError(
      'rate_limited',
      `Rate limit reached for ${what} on this ${scopeOf(checks[index]!.key)}: ${decision.limit} per minute. Try again in ${seconds}s.`,
      { retryAfterSeconds: decision.retryAfterMs / 1000 },
    );
  }

  /** At the end: the reservation becomes the reported usage; a request that failed without any gives it all back. */
  function reconcile(ctx: GatewayContext, tokens: RateCheck[], reserved: number): RateCheck[] {
    const used = ctx.usage?.total_tokens;
    const delta = used !== undefined ? used - reserved : ctx.errorCode !== undefined ? -reserved : 0;
    return delta === 0 ? [] : tokens.map((check) => ({ ...check, cost: delta }));
  }

  return async function admit(ctx, estimate) {
    if (ctx.caller?.kind !== 'key') return;
    const plan = limitsOf(ctx.caller.key, ctx.caller.tenant);
    if (plan.none) return;
    const { requests, tokens, slots, failOpen } = plan;
    const reserved = tokens.length > 0 ? estimate() : 0;
    const reservation = tokens.length === 0 ? tokens : tokens.map((check) => ({ key: check.key, limit: check.limit, cost: reserved }));
    const tooLarge = reservation.find((check) => check.cost > check.limit);
    if (tooLarge !== undefined) {
      // Waiting would not help: say so instead of sending a retry-after.
      throw new GatewayError(
        'rate_limited',
        `Request too large for this ${scopeOf(tooLarge.key)}'s tokens per minute: it needs about ${reserved} tokens (input + max output), the limit is ${tooLarge.limit}.`,
      );
    }
    // The slots and the charge in one step (one round trip to a shared store), all or nothing: a refusal by
    // either takes neither.
    const checks = reservation.length === 0 ? requests : requests.length === 0 ? reservation : requests.concat(reservation);
    const leaseId = slots.length > 0 ? nextLeaseId() : '';
    let outcome: AdmissionOutcome | undefined;
    try {
      outcome = await limiter.admit(slots, leaseId, slots.length > 0 ? leaseTtlMs(ctx) : 0, checks);
    } catch (error) {
      const fallback = options.failOpen();
      const goesOn = failOpen.every((own) => own ?? fallback);
      options.onStoreError?.(error, goesOn ? 'allowed' : 'refused');
      if (!goesOn) {
        throw new GatewayError('limits_unavailable', 'Rate limits cannot be checked right now (the limit store is unreachable); try again shortly.', {
          retryAfterSeconds: 1,
          cause: error,
        });
      }
      // Fail open: served with nothing held, so nothing to give back at the end.
      return;
    }
    if (checks.length > 0) {
      const { decisions } = outcome.rates;
      ctx.rateLimits = { requests: tightest(decisions, 0, requests.length), tokens: tightest(decisions, requests.length, decisions.length) };
    }
    if (!outcome.allowed) throw refusal(plan, checks, outcome);
    const lease: Lease | undefined = slots.length > 0 ? { keys: plan.slotKeys, leaseId } : undefined;
    const charge = outcome.rates.charge;
    let done = false;
    ctx.releaseLimits = () => {
      if (done) return;
      done = true;
      const adjust = reservation.length > 0 ? reconcile(ctx, reservation, reserved) : [];
      giveBack(lease, adjust, charge);
    };
  };
}
