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
import { randomUUID } from 'node:crypto';
import type { GatewayContext } from '../core/context.js';
import { GatewayError } from '../core/errors.js';
import type { Limits } from '../core/tenancy.js';
import type { ConcurrencyCheck, RateCheck, RateDecision, RateLimiter } from '../limits/types.js';

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

interface Applicable {
  requests: RateCheck[];
  tokens: RateCheck[];
  slots: ConcurrencyCheck[];
  /** The `fail_open` of each scope that has a limit (undefined: the config's). */
  failOpen: (boolean | undefined)[];
}

function limitsOf(ctx: GatewayContext): Applicable {
  const found: Applicable = { requests: [], tokens: [], slots: [], failOpen: [] };
  if (ctx.caller?.kind !== 'key') return found;
  const scopes: [scope: string, id: string, limits: Limits][] = [
    ['key', ctx.caller.key.id, ctx.caller.key.limits],
    ['tenant', ctx.caller.tenant.id, ctx.caller.tenant.limits],
  ];
  for (const [scope, id, limits] of scopes) {
    const { requests_per_minute: rpm, tokens_per_minute: tpm, concurrent_requests: concurrent } = limits;
    if (rpm !== undefined) found.requests.push({ key: `${scope}:${id}:rpm`, limit: rpm, cost: 1 });
    if (tpm !== undefined) found.tokens.push({ key: `${scope}:${id}:tpm`, limit: tpm, cost: 0 });
    if (concurrent !== undefined) found.slots.push({ key: `${scope}:${id}:concurrent`, limit: concurrent });
    if (rpm !== undefined || tpm !== undefined || concurrent !== undefined) found.failOpen.push(limits.fail_open);
  }
  return found;
}

/** The concurrency slots a request holds: the limit keys and its lease. */
interface Lease {
  keys: string[];
  leaseId: string;
}

const scopeOf = (key: string) => (key.startsWith('tenant:') ? 'tenant' : 'API key');

/** The refusing decision, else the one with the least left: what the headers report. */
function tightest(decisions: readonly RateDecision[]): RateDecision | undefined {
  let pick: RateDecision | undefined;
  for (const decision of decisions) {
    if (pick === undefined || (pick.allowed && (!decision.allowed || decision.remaining < pick.remaining))) pick = decision;
  }
  return pick;
}

function leaseTtlMs(ctx: GatewayContext): number {
  return Number.isFinite(ctx.deadlineAt) ? Math.max(1, ctx.deadlineAt - performance.now()) + LEASE_MARGIN_MS : DEFAULT_LEASE_MS;
}

export function rateLimit(limiter: RateLimiter, options: RateLimitOptions): (ctx: GatewayContext, tokens: TokenEstimate) => Promise<void> {
  const reportError = (error: unknown) => options.onStoreError?.(error, 'background');

  /** Takes the slots; returns what names them for the release. */
  async function acquireSlots(ctx: GatewayContext, slots: ConcurrencyCheck[]): Promise<Lease> {
    const leaseId = randomUUID();
    const outcome = await limiter.acquire(slots, leaseId, leaseTtlMs(ctx));
    if (!outcome.allowed) {
      const index = outcome.decisions.findIndex((decision) => !decision.allowed);
      throw new GatewayError(
        'rate_limited',
        `Too many concurrent requests for this ${scopeOf(slots[index]?.key ?? '')}: the limit is ${outcome.decisions[index]?.limit ?? 0} at a time.`,
        { retryAfterSeconds: 1 },
      );
    }
    return { keys: slots.map((slot) => slot.key), leaseId };
  }

  /** Gives the slots back (if any) and adjusts the charge (if any) in one call to the store, in the background. */
  function giveBack(lease: Lease | undefined, checks: RateCheck[], charged: string | undefined): void {
    if (lease === undefined && checks.length === 0) return;
    limiter.releaseAndAdjust(lease?.keys ?? [], lease?.leaseId ?? '', checks, charged).catch(reportError);
  }

  /**
   * Charges requests and tokens together, all or nothing; throws 429 naming the limit that refused. Returns the
   * charge's name for the reconciliation (sliding window), if the limiter gave one.
   */
  async function charge(ctx: GatewayContext, requests: RateCheck[], tokens: RateCheck[]): Promise<{ charge: string | undefined }> {
    const checks = [...requests, ...tokens];
    const outcome = await limiter.check(checks);
    const requestDecisions = outcome.decisions.slice(0, requests.length);
    const tokenDecisions = outcome.decisions.slice(requests.length);
    ctx.rateLimits = { requests: tightest(requestDecisions), tokens: tightest(tokenDecisions) };
    if (outcome.allowed) return { charge: outcome.charge };
    const index = outcome.decisions.findIndex((decision) => !decision.allowed);
    const decision = outcome.decisions[index]!;
    const what = index < requests.length ? 'requests' : 'tokens';
    const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    throw new GatewayError(
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
    const { requests, tokens, slots, failOpen } = limitsOf(ctx);
    if (requests.length === 0 && tokens.length === 0 && slots.length === 0) return;
    const reserved = tokens.length > 0 ? estimate() : 0;
    const reservation = tokens.map((check) => ({ ...check, cost: reserved }));
    const tooLarge = reservation.find((check) => check.cost > check.limit);
    if (tooLarge !== undefined) {
      // Waiting would not help: say so instead of sending a retry-after.
      throw new GatewayError(
        'rate_limited',
        `Request too large for this ${scopeOf(tooLarge.key)}'s tokens per minute: it needs about ${reserved} tokens (input + max output), the limit is ${tooLarge.limit}.`,
      );
    }
    // The slots and the charge are asked for at once (one round trip to a shared store, not two in a row), then
    // made all or nothing: whichever was granted is given back when the other refused or failed.
    const [took, paid] = await Promise.allSettled([
      slots.length > 0 ? acquireSlots(ctx, slots) : undefined,
      requests.length > 0 || tokens.length > 0 ? charge(ctx, requests, reservation) : undefined,
    ]);
    const lease = took.status === 'fulfilled' ? took.value : undefined;
    const charged = paid.status === 'fulfilled' ? paid.value : undefined;
    const refund = () => {
      const back = charged === undefined ? [] : [...requests, ...reservation].map((check) => ({ ...check, cost: -check.cost }));
      giveBack(lease, back, charged?.charge);
    };
    if (took.status === 'rejected' || paid.status === 'rejected') {
      // A refusal decides (slots first, as a refused slot is checked first); else the store failed.
      const reasons = [took, paid].flatMap((settled) => (settled.status === 'rejected' ? [settled.reason as unknown] : []));
      const refusal = reasons.find((reason) => reason instanceof GatewayError);
      if (refusal !== undefined) {
        refund();
        throw refusal;
      }
      const error = reasons[0];
      const fallback = options.failOpen();
      const goesOn = failOpen.every((own) => own ?? fallback);
      options.onStoreError?.(error, goesOn ? 'allowed' : 'refused');
      if (!goesOn) {
        refund();
        throw new GatewayError('limits_unavailable', 'Rate limits cannot be checked right now (the limit store is unreachable); try again shortly.', {
          retryAfterSeconds: 1,
          cause: error,
        });
      }
      // Fail open: what was granted stays held and is given back at the end, like any request's.
    }
    let done = false;
    ctx.releaseLimits = () => {
      if (done) return;
      done = true;
      const adjust = reservation.length > 0 && charged !== undefined ? reconcile(ctx, reservation, reserved) : [];
      giveBack(lease, adjust, charged?.charge);
    };
  };
}
