/**
 * Everything money needs at run time, put together once per gateway: the budget counters (memory or Redis), the
 * budget stage, the spend aggregator over the store's rollups, start-up seeding, and the alert webhooks. The
 * gateway creates it, passes `reserve` to the app, calls `reload` on a new config and `close` at shutdown; the
 * admin API reads `spendOf` and the price table through it.
 */
import type { SwitchyardConfig } from '../config/schema.js';
import type { GatewayContext } from '../core/context.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { log } from '../observability/log.js';
import type { RouteTable } from '../routing/route-table.js';
import { budgetStage, type BudgetSettings, type ReserveBudget } from '../stages/budget.js';
import type { SpendStore } from '../stores/spend.js';
import { openBudgetCounter } from './open.js';
import { counterKey, periodOf, usdOf, type BudgetPeriod } from './period.js';
import { seedBudgetCounters } from './seed.js';
import { SpendAggregator } from './spend-aggregator.js';
import type { BudgetCounter } from './types.js';
import { UncountedSpend } from './uncounted-spend.js';
import { WebhookSender } from './webhooks.js';
import { observeAvailability } from '../observability/dependency-events.js';
import type { Budget } from '../core/tenancy.js';

export interface BudgetsOptions {
  config: SwitchyardConfig;
  current(): { config: SwitchyardConfig; routes: RouteTable };
  metrics: GatewayMetrics;
  /** The spend rollups (absent: no rollups, counters start empty). */
  spend?: SpendStore;
  /** A counter store of the caller's (tests); default: opened from config and closed with the gateway. */
  counter?: BudgetCounter;
}

/** One budget's standing in its current period. */
export interface BudgetStanding {
  budget: Budget;
  period: BudgetPeriod;
  spentUsd: number;
  reservedUsd: number;
}

// Store failures: one log line per interval, not one per request.
const ERROR_LOG_INTERVAL_MS = 10_000;
/** Settlements held while the counter store is down (each a request, or fail-open requests of one key merged). */
const MAX_UNCOUNTED = 10_000;
/** Seeding retries while the spend store is down at start: first delay, doubling up to the maximum. */
const SEED_RETRY_FIRST_MS = 250;
const SEED_RETRY_MAX_MS = 10_000;

function settingsOf(config: SwitchyardConfig): BudgetSettings {
  const { budgets, alerts, models } = config;
  return {
    failOpen: budgets.fail_open,
    thresholds: [...new Set(alerts.thresholds)].sort((a, b) => a - b),
    maxOutputTokens: (model) => models[model]?.max_output_tokens ?? budgets.default_max_output_tokens,
  };
}

/** The part of a webhook URL that may be logged: its origin (paths often carry the webhook's secret token). */
const originOf = (url: string) => new URL(url).origin;

export class Budgets {
  readonly counter: BudgetCounter;
  readonly reserve: ReserveBudget;
  readonly webhooks: WebhookSender;
  /** Settles once the counters were seeded from the rollups, or the first try failed (retried in the background). */
  readonly ready: Promise<void>;
  /** Settles once seeding succeeded (or was given up at close); rollup writes wait for it. */
  readonly seeded: Promise<void>;
  /** Spend waiting for the counter store to come back. */
  readonly uncounted: UncountedSpend;
  private readonly aggregator: SpendAggregator | undefined;
  private readonly ownsCounter: boolean;
  private settings: BudgetSettings;
  private lastErrorLogAt = Number.NEGATIVE_INFINITY;
  private readonly stopObserving: (() => void)[] = [];
  private seedTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private endSeeding: () => void = () => {};

  constructor(private readonly options: BudgetsOptions) {
    const { config, metrics } = options;
    this.settings = settingsOf(config);
    this.ownsCounter = options.counter === undefined;
    this.counter = options.counter ?? openBudgetCounter(config, process.env);
    this.webhooks = new WebhookSender(config.alerts, {
      onOutcome: (outcome, url, detail) => {
        metrics.countBudgetEvent(`alert_${outcome}`);
        if (outcome !== 'delivered') log.warn('budget alert not delivered', { webhook: originOf(url), outcome, detail });
      },
    });
    this.seeded = new Promise((resolve) => (this.endSeeding = resolve));
    this.aggregator =
      options.spend &&
      new SpendAggregator(options.spend, {
        flushIntervalMs: config.budgets.flush_interval_ms,
        maxPendingRows: config.budgets.max_pending_rows,
        onFlushError: (error) => this.storeError('spend rollups could not be written; retrying', error),
        onDropped: (rows) => metrics.countBudgetEvent('spend_rows_dropped', rows),
        holdUntil: this.seeded,
      });
    if (options.spend === undefined) this.endSeeding();
    this.ready = options.spend === undefined ? Promise.resolve() : this.seed(options.spend, 0);
    this.uncounted = new UncountedSpend({
      counter: this.counter,
      thresholds: () => this.settings.thresholds,
      maxEntries: MAX_UNCOUNTED,
      onDropped: (count) => metrics.countBudgetEvent('uncounted_dropped', count),
      onError: (error) => this.storeError('budget counters failed', error),
    });
    const { availability } = this.counter;
    if (availability !== undefined) {
      this.stopObserving.push(
        observeAvailability(availability, 'redis_budgets', metrics),
        availability.onChange((up) => {
          if (up) void this.uncounted.settle();
        }),
      );
    }
    this.reserve = budgetStage({
      counter: this.counter,
      routes: () => options.current().routes,
      settings: () => this.settings,
      ready: this.ready,
      onAlert: (alert) => {
        log.warn('budget threshold crossed', { tenant: alert.tenantId, key: alert.keyId, scope: alert.scope, threshold: alert.threshold, period: alert.period.id });
        this.webhooks.send(alert);
      },
      onSpend: (ctx) => this.recordSpend(ctx),
      onTenantStanding: (tenantId, period, ratio) => metrics.setTenantBudgetUsed(tenantId, period, ratio),
      onStoreError: (error) => this.storeError('budget counters failed', error),
      uncounted: this.uncounted,
    });
  }

  reload(config: SwitchyardConfig): void {
    this.settings = settingsOf(config);
    this.webhooks.configure(config.alerts);
  }

  /** Where each budget stands now (spent and reserved this period); null where there is no budget. */
  async standings(budgets: readonly { scope: 'key' | 'tenant'; id: string; budget: Budget | null }[]): Promise<(BudgetStanding | null)[]> {
    const now = Date.now();
    const present = budgets.flatMap((entry) => (entry.budget === null ? [] : [{ ...entry, budget: entry.budget, period: periodOf(entry.budget.period, now) }]));
    const states = await this.counter.read(present.map((entry) => counterKey(entry.scope, entry.id, entry.period)));
    let next = 0;
    return budgets.map((entry) => {
      if (entry.budget === null) return null;
      const found = present[next]!;
      const state = states[next++]!;
      return { budget: found.budget, period: found.period, spentUsd: usdOf(state.spent), reservedUsd: usdOf(state.reserved) };
    });
  }

  /** Rollup rows waiting to be written (held while the spend store is down). */
  get pendingSpendRows(): number {
    return this.aggregator?.pendingRows ?? 0;
  }

  /** Writes the pending rollups (tests; shutdown does it too). */
  async flush(): Promise<void> {
    await this.aggregator?.flush();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.seedTimer);
    this.endSeeding();
    for (const stop of this.stopObserving.splice(0)) stop();
    await this.uncounted.settle();
    await this.aggregator?.close();
    await this.webhooks.drain(this.options.config.alerts.timeout_ms);
    this.webhooks.close();
    if (this.ownsCounter) await this.counter.close();
  }

  private recordSpend(ctx: GatewayContext): void {
    this.aggregator?.record(ctx);
    if (ctx.caller?.kind === 'key' && ctx.costUsd !== undefined && ctx.costUsd > 0) this.options.metrics.addTenantSpend(ctx.caller.tenant.id, ctx.costUsd);
    if (ctx.budgetDowngradedFrom !== undefined) this.options.metrics.countBudgetEvent('downgraded');
  }

  /**
   * Seeds the counters; while the store is down, retries with backoff until it answers. Rollup writes are held
   * until then, so the rollups read hold only spend written before this process started, and spend counted
   * since start is never counted twice. A first try seeds counters no one has touched (`seed`); a retry adds to
   * the counters of this process's own store (`seedAdding`: memory), where live traffic made them meanwhile.
   * Logged once when it fails and once when it succeeds late.
   */
  private async seed(spend: SpendStore, failures: number): Promise<void> {
    try {
      const late = failures > 0 && this.counter.seedAdding !== undefined;
      const seeded = await seedBudgetCounters(this.counter, spend, Date.now(), late);
      if (this.closed) return;
      this.endSeeding();
      if (failures > 0) log.info('budget counters seeded from spend rollups after the store recovered', { counters: seeded, attempts: failures + 1 });
      else if (seeded > 0) log.info('budget counters seeded from spend rollups', { counters: seeded });
    } catch (error) {
      this.options.metrics.countBudgetEvent('store_error');
      if (failures === 0) {
        log.warn('budget counters could not be seeded from the spend rollups; retrying until the store answers', {
          error: error instanceof Error ? error.message : String(error),
        });
      }
      if (this.closed) return;
      const delay = Math.min(SEED_RETRY_FIRST_MS * 2 ** Math.min(failures, 16), SEED_RETRY_MAX_MS);
      this.seedTimer = setTimeout(() => void this.seed(spend, failures + 1), delay);
      this.seedTimer.unref();
    }
  }

  private storeError(message: string, error: unknown): void {
    this.options.metrics.countBudgetEvent('store_error');
    const now = performance.now();
    if (now - this.lastErrorLogAt < ERROR_LOG_INTERVAL_MS) return;
    this.lastErrorLogAt = now;
    log.warn(message, { error: error instanceof Error ? error.message : String(error) });
  }
}
