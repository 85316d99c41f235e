/**
 * Retry budgets per deployment (DESIGN.md §4), in the style of Envoy's and Finagle's: retries may be at most
 * `ratio` of the requests seen over a sliding window, with a floor of `minPerSecond` so a quiet deployment can
 * still retry. When a deployment fails everything, its callers retry at most `ratio` more, instead of multiplying
 * the load on it by `max_attempts`.
 *
 * Use: `recordRequest()` for each request's first attempt to a deployment; `tryAcquireRetry()` on the budget of
 * the deployment whose failure would be retried, before retrying; a refusal means "do not retry, fail or fall back".
 */
import type { z } from 'zod';
import type { retrySchema } from '../config/resilience-schema.js';
import type { Clock } from '../core/clock.js';
import { SlidingCounts } from './sliding-window.js';

export interface RetryBudgetOptions {
  /** Retries allowed as a share of the requests in the window (0.2 = 20%). */
  ratio: number;
  /** Retries per second always allowed, however few the requests. */
  minPerSecond: number;
  windowMs: number;
}

export function retryBudgetOptionsFromConfig(retries: z.output<typeof retrySchema>): RetryBudgetOptions {
  return { ratio: retries.budget_ratio, minPerSecond: retries.budget_min_per_second, windowMs: retries.budget_window_ms };
}

export interface RetryBudgetSnapshot {
  requests: number;
  retries: number;
  /** Retries that would be allowed now. */
  available: number;
}

export class RetryBudget {
  private options: RetryBudgetOptions;
  private readonly window: SlidingCounts<'requests' | 'retries'>;

  constructor(
    options: RetryBudgetOptions,
    private readonly clock: Clock,
  ) {
    this.options = { ...options };
    this.window = new SlidingCounts(options.windowMs, ['requests', 'retries']);
  }

  recordRequest(): void {
    this.window.add('requests', this.clock.now());
  }

  /** Takes one retry from the budget if there is one left; false means the retry must not happen. */
  tryAcquireRetry(): boolean {
    const now = this.clock.now();
    if (this.availableAt(now) < 1) return false;
    this.window.add('retries', now);
    return true;
  }

  /** New options apply from now on; the counts already in the window are kept. */
  updateOptions(options: RetryBudgetOptions): void {
    this.window.resize(options.windowMs, this.clock.now());
    this.options = { ...options };
  }

  snapshot(): RetryBudgetSnapshot {
    const now = this.clock.now();
    const { requests, retries } = this.window.totals(now);
    return { requests, retries, available: Math.max(0, Math.floor(this.availableAt(now))) };
  }

  private availableAt(now: number): number {
    const { requests, retries } = this.window.totals(now);
    const floor = this.options.minPerSecond * (this.options.windowMs / 1000);
    return Math.max(floor, this.options.ratio * requests) - retries;
  }
}

/** One budget per deployment id, created on first use; a config reload updates them all in place. */
export class RetryBudgets {
  private options: RetryBudgetOptions;
  private readonly budgets = new Map<string, RetryBudget>();

  constructor(
    options: RetryBudgetOptions,
    private readonly clock: Clock,
  ) {
    this.options = { ...options };
  }

  get(deploymentId: string): RetryBudget {
    let budget = this.budgets.get(deploymentId);
    if (budget === undefined) {
      budget = new RetryBudget(this.options, this.clock);
      this.budgets.set(deploymentId, budget);
    }
    return budget;
  }

  updateOptions(options: RetryBudgetOptions): void {
    this.options = { ...options };
    for (const budget of this.budgets.values()) budget.updateOptions(this.options);
  }

  /** Forgets deployments that are no longer configured (after a reload). */
  retainOnly(deploymentIds: Iterable<string>): void {
    const keep = new Set(deploymentIds);
    for (const id of this.budgets.keys()) if (!keep.has(id)) this.budgets.delete(id);
  }

  snapshot(): Record<string, RetryBudgetSnapshot> {
    return Object.fromEntries([...this.budgets].map(([id, budget]) => [id, budget.snapshot()]));
  }
}
