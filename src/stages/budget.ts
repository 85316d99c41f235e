/**
 * Spend budgets per virtual key and per tenant (DESIGN.md §6), checked after the model is resolved. The request's
 * most expensive possible cost (estimated input + its output allowance, at the dearest price its route may reach)
 * is reserved against every budget that applies, for the current UTC day or month, all or nothing; when the
 * response ends the reservation becomes the real cost (`ctx.settleSpend`, called by dispatch). So concurrent
 * requests overshoot a budget by at most what they cost beyond their reservations.
 *
 * A budget that cannot take the reservation either refuses (429 `budget_exceeded`, type `insufficient_quota`) or,
 * with `on_exhausted: downgrade`, serves its `downgrade_to` instead, still charged. Callers without a budget pay
 * nothing here but a closure that records their spend rollup; the master key and open callers skip it all.
 *
 * When the counter store fails (bounded by its timeout), `fail_open` serves the request unreserved and counts its
 * cost once the store answers again (`UncountedSpend`); otherwise 503 `budget_unavailable` with retry-after.
 */
import type { GatewayContext } from '../core/context.js';
import { GatewayError } from '../core/errors.js';
import { nextLeaseId } from '../core/lease-ids.js';
import type { ApiKey, Budget, Tenant } from '../core/tenancy.js';
import { counterKey, counterTtlMs, nanosCeil, nanosOf, periodOf, usdOf, type BudgetPeriod } from '../budgets/period.js';
import type { BudgetCounter, BudgetState, Reservation, SettleOutcome, WallClock } from '../budgets/types.js';
import type { UncountedSpend } from '../budgets/uncounted-spend.js';
import { resolveModel } from '../routing/resolve.js';
import { maxCostUsd, routePriceBound } from '../routing/route-price.js';
import type { ModelRoute, RouteTable } from '../routing/route-table.js';

export interface BudgetSettings {
  failOpen: boolean;
  /** Alert thresholds, ascending percents of a budget. */
  thresholds: readonly number[];
  /** Output tokens reserved when the request sets no maximum. */
  maxOutputTokens(model: string): number;
}

/** A budget crossed a threshold, first across every replica in this period. */
export interface BudgetAlert {
  scope: 'key' | 'tenant';
  tenantId: string;
  keyId: string | undefined;
  budget: Budget;
  period: BudgetPeriod;
  spentUsd: number;
  threshold: number;
}

export interface BudgetStageOptions {
  counter: BudgetCounter;
  routes(): RouteTable;
  /** Read per request, so a config reload applies at once. */
  settings(): BudgetSettings;
  onAlert(alert: BudgetAlert): void;
  /** Records the finished request in the spend rollups. */
  onSpend(ctx: GatewayContext): void;
  /** A tenant budget's used share, (spent + reserved) / amount, after a reservation or settlement (the gauge). */
  onTenantStanding?(tenantId: string, period: BudgetPeriod, ratio: number): void;
  onStoreError?(error: unknown): void;
  /** Holds spend the store could not take (it was down) until it answers again. */
  uncounted?: UncountedSpend;
  /** Resolves once the counters were seeded from the rollups; budgeted requests wait for it. */
  ready?: Promise<void>;
  now?: WallClock;
}

/** What the request asks for: its input estimate and its own output limit, if any. */
export interface BudgetTokens {
  input(): number;
  maxOutput: number | undefined;
}

interface Line {
  scope: 'key' | 'tenant';
  budget: Budget;
  period: BudgetPeriod;
  key: string;
  limit: number;
}

const LEASE_MARGIN_MS = 5000;
const DEFAULT_LEASE_MS = 600_000;

const usd = (nanos: number) => `$${usdOf(nanos).toFixed(nanos < 10_000_000 ? 4 : 2)}`;
const whose = (line: Line) => `this ${line.scope === 'key' ? 'API key' : 'tenant'}'s ${line.period.kind === 'day' ? 'daily' : 'monthly'} budget`;

function refusal(line: Line, state: BudgetState, amount: number): GatewayError {
  const resets = new Date(line.period.end).toISOString();
  const used = `${usd(state.spent)} spent, ${usd(state.reserved)} reserved by requests in flight`;
  const message =
    state.spent >= line.limit
      ? `Budget exceeded: ${whose(line)} of ${usd(line.limit)} is used up (${used}). It resets at ${resets}.`
      : `Budget exceeded: this request may cost up to ${usd(amount)}, more than is left of ${whose(line)} of ${usd(line.limit)} (${used}). It resets at ${resets}.`;
  return new GatewayError('budget_exceeded', message);
}

/** What a finished request is charged: its cost; its reservation if it was served but its usage is unknown. */
function chargeOf(ctx: GatewayContext, reserved: number): number {
  if (ctx.costUsd !== undefined) return nanosOf(ctx.costUsd);
  return ctx.provider !== undefined && ctx.usage === undefined ? reserved : 0;
}

export function budgetStage(options: BudgetStageOptions) {
  const now = options.now ?? Date.now;
  const { counter } = options;
  let seeded = options.ready === undefined;
  void options.ready?.then(() => (seeded = true));

  /**
   * Lines by key record, for the tenant record they were made with. Records are replaced on every change, and a
   * line's period object is the same for every instant inside it (`periodOf`), so a cached line is reused until
   * either record changes or its period ends.
   */
  const linesByKey = new WeakMap<ApiKey, { tenant: Tenant; lines: Line[] }>();

  function linesOf(ctx: GatewayContext, at: number): Line[] {
    if (ctx.caller?.kind !== 'key') return [];
    const { key, tenant } = ctx.caller;
    const cached = linesByKey.get(key);
    if (cached !== undefined && cached.tenant === tenant && cached.lines.every((line) => periodOf(line.budget.period, at) === line.period)) {
      return cached.lines;
    }
    const lines: Line[] = [];
    const add = (scope: Line['scope'], id: string, budget: Budget | null) => {
      if (budget === null) return;
      const period = periodOf(budget.period, at);
      lines.push({ scope, budget, period, key: counterKey(scope, id, period), limit: nanosCeil(budget.amount_usd) });
    };
    add('key', key.id, key.budget);
    add('tenant', tenant.id, tenant.budget);
    linesByKey.set(key, { tenant, lines });
    return lines;
  }

  function amountFor(model: ModelRoute, tokens: BudgetTokens, settings: BudgetSettings, at: number): number {
    const bound = routePriceBound(options.routes(), model.name, at);
    return nanosCeil(maxCostUsd(bound, tokens.input(), tokens.maxOutput ?? settings.maxOutputTokens(model.name)));
  }

  /** Reports the tenant lines' standings; `used(index)` is what line `index` has spent and holds, nano-dollars. */
  function standing(ctx: GatewayContext, lines: Line[], used: (index: number) => number): void {
    const report = options.onTenantStanding;
    if (report === undefined || ctx.caller?.kind !== 'key') return;
    const tenantId = ctx.caller.tenant.id;
    lines.forEach((line, index) => {
      if (line.scope !== 'tenant') return;
      const value = used(index);
      report(tenantId, line.period, line.limit > 0 ? value / line.limit : value > 0 ? Number.POSITIVE_INFINITY : 0);
    });
  }

  function alertOn(ctx: GatewayContext, lines: Line[], outcomes: readonly SettleOutcome[]): void {
    const caller = ctx.caller?.kind === 'key' ? ctx.caller : undefined;
    outcomes.forEach((outcome, index) => {
      const line = lines[index]!;
      for (const threshold of outcome.crossed) {
        options.onAlert({
          scope: line.scope,
          tenantId: caller?.tenant.id ?? '',
          keyId: line.scope === 'key' ? caller?.key.id : undefined,
          budget: line.budget,
          period: line.period,
          spentUsd: usdOf(outcome.spent),
          threshold,
        });
      }
    });
  }

  /**
   * The request's settlement: its real cost replaces the reservation held by `leaseId` (undefined: none is held,
   * the request was served fail-open). When the store cannot take it, the spend waits in `uncounted`.
   */
  function settleWith(ctx: GatewayContext, lines: Line[], leaseId: string | undefined, amount: number, settings: BudgetSettings, at: number): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      options.onSpend(ctx);
      if (lines.length === 0) return;
      const spent = chargeOf(ctx, amount);
      if (leaseId === undefined && spent === 0) return;
      const settlements = lines.map((line) => ({ key: line.key, limit: line.limit, ttlMs: counterTtlMs(line.period, at), spent }));
      const report = (outcomes: SettleOutcome[]) => alertOn(ctx, lines, outcomes);
      counter
        .settle(settlements, leaseId ?? nextLeaseId(), settings.thresholds)
        .then((outcomes) => {
          // Spent only: this replica does not see the other requests' reservations at settlement.
          standing(ctx, lines, (index) => outcomes[index]!.spent);
          report(outcomes);
          void options.uncounted?.settle();
        })
        .catch((error: unknown) => {
          options.onStoreError?.(error);
          options.uncounted?.add({ lines: settlements, leaseId, report });
        });
    };
  }

  function leaseTtlMs(ctx: GatewayContext): number {
    return Number.isFinite(ctx.deadlineAt) ? Math.max(1, ctx.deadlineAt - performance.now()) + LEASE_MARGIN_MS : DEFAULT_LEASE_MS;
  }

  /** Reserves for `model`; on refusal by downgrade budgets only, reserves for their `downgrade_to` instead. */
  async function reserve(ctx: GatewayContext, lines: Line[], model: ModelRoute, tokens: BudgetTokens, settings: BudgetSettings, at: number, leaseId: string) {
    const ttl = leaseTtlMs(ctx);
    const amount = amountFor(model, tokens, settings, at);
    const plan = (mustFit: (line: Line) => boolean, value: number): Reservation[] =>
      lines.map((line) => ({ key: line.key, limit: line.limit, ttlMs: counterTtlMs(line.period, at), amount: value, mustFit: mustFit(line) }));
    const first = await counter.reserve(plan(() => true, amount), leaseId, ttl);
    standing(ctx, lines, (index) => first.states[index]!.spent + first.states[index]!.reserved);
    if (first.allowed) return { amount, model: undefined };
    const refused = lines.findIndex((line, index) => first.states[index]!.spent + first.states[index]!.reserved + amount > line.limit);
    const blocking = lines.findIndex(
      (line, index) =>
        (line.budget.on_exhausted !== 'downgrade' || line.budget.downgrade_to === undefined) &&
        first.states[index]!.spent + first.states[index]!.reserved + amount > line.limit,
    );
    if (blocking >= 0) throw refusal(lines[blocking]!, first.states[blocking]!, amount);
    const routes = options.routes();
    const target = lines[refused]!.budget.downgrade_to!;
    const downgrade = target === ctx.requestedModel || target === model.name ? model : resolveModel(routes, target);
    const downgradeAmount = downgrade === model ? amount : amountFor(downgrade, tokens, settings, at);
    const second = await counter.reserve(plan((line) => line.budget.on_exhausted !== 'downgrade', downgradeAmount), leaseId, ttl);
    standing(ctx, lines, (index) => second.states[index]!.spent + second.states[index]!.reserved);
    if (!second.allowed) {
      const index = lines.findIndex((line, i) => line.budget.on_exhausted !== 'downgrade' && second.states[i]!.spent + second.states[i]!.reserved + downgradeAmount > line.limit);
      throw refusal(lines[Math.max(0, index)]!, second.states[Math.max(0, index)]!, downgradeAmount);
    }
    return { amount: downgradeAmount, model: downgrade === model ? undefined : downgrade };
  }

  /** Returns the model to serve instead when a budget downgraded the request; undefined to serve `model`. */
  return async function reserveBudget(ctx: GatewayContext, model: ModelRoute, tokens: BudgetTokens): Promise<ModelRoute | undefined> {
    if (ctx.caller?.kind !== 'key') return undefined;
    const at = now();
    const lines = linesOf(ctx, at);
    const settings = options.settings();
    if (lines.length === 0) {
      ctx.settleSpend = settleWith(ctx, lines, undefined, 0, settings, at);
      return undefined;
    }
    if (!seeded) await options.ready;
    const leaseId = nextLeaseId();
    try {
      const { amount, model: downgrade } = await reserve(ctx, lines, model, tokens, settings, at, leaseId);
      ctx.settleSpend = settleWith(ctx, lines, leaseId, amount, settings, at);
      void options.uncounted?.settle();
      if (downgrade !== undefined) ctx.budgetDowngradedFrom = ctx.requestedModel ?? model.name;
      return downgrade;
    } catch (error) {
      if (error instanceof GatewayError) throw error;
      options.onStoreError?.(error);
      if (!settings.failOpen) {
        ctx.settleSpend = settleWith(ctx, [], undefined, 0, settings, at);
        throw new GatewayError('budget_unavailable', 'Budgets cannot be checked right now; try again shortly.', { retryAfterSeconds: 1, cause: error });
      }
      // Served without a reservation; its cost is counted when the store answers again.
      ctx.settleSpend = settleWith(ctx, lines, undefined, amountFor(model, tokens, settings, at), settings, at);
      return undefined;
    }
  };
}

export type ReserveBudget = ReturnType<typeof budgetStage>;
