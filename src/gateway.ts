/**
 * A running gateway: the current runtime (swapped whole on reload), the app, in-flight tracking for graceful
 * shutdown, and the transport-neutral `handle()` both HTTP edges call.
 */
import { createApp, type GatewayApp } from './app.js';
import { GatewayError } from './core/errors.js';
import { parseConfig } from './config/load.js';
import type { SwitchyardConfig, SwitchyardConfigInput } from './config/schema.js';
import { buildRuntime, type Runtime } from './runtime.js';
import { GatewayMetrics } from './observability/metrics.js';
import { dispatch } from './api/routes.js';
import { Resilience, type ResilienceOptions } from './reliability/resilience.js';
import { observeResilience } from './observability/resilience-events.js';
import type { EdgeRequest, EdgeResponse } from './api/edge.js';
import type { KeyDirectory, Stores } from './stores/types.js';
import type { RateLimiter } from './limits/types.js';
import { openRateLimiter } from './limits/open.js';
import { rateLimit } from './stages/rate-limit.js';
import { Budgets } from './budgets/budgets.js';
import type { BudgetCounter } from './budgets/types.js';
import { observeAvailability } from './observability/dependency-events.js';
import { openSharedState } from './stores/redis/shared-state.js';
import { KillSwitchSharing } from './routing/kill-switch-sharing.js';
import { RequestLog, type LineSink } from './observability/request-log/request-log.js';
import type { RequestLogStore } from './stores/request-log.js';
import { log } from './observability/log.js';

export interface Gateway {
  readonly app: GatewayApp;
  /** The request log: one record per request, written in batches (observability/request-log/). */
  readonly requestLog: RequestLog;
  /** Breakers, budgets, stats, gates, health: for /admin, tests and embedding hosts. */
  readonly resilience: Resilience;
  /** Budget counters, spend rollups and alert webhooks. */
  readonly budgets: Budgets;
  config(): SwitchyardConfig;
  handle(request: EdgeRequest): Promise<EdgeResponse>;
  /** Registers a request's abort controller so shutdown can end it; returns the function that unregisters it. */
  track(controller: AbortController): () => void;
  /** Swaps in a new, already validated config. In-flight requests finish on the old runtime. */
  reload(config: SwitchyardConfig): Promise<void>;
  /** Stops taking requests, waits up to `graceMs` for in-flight ones (streams included), then aborts the rest. */
  close(graceMs?: number): Promise<void>;
  readonly draining: boolean;
}

export interface GatewayOptions {
  /** Collect Node process metrics (CPU, memory, event loop) into `/metrics`. */
  processMetrics?: boolean;
  /** Clock, randomness and breaker-state sharing for the resilience layer (tests, cluster mode). */
  resilience?: ResilienceOptions;
  /** Tenants' virtual keys (the in-memory key cache over the store, see `stores/key-cache.ts`); without it only
   * the master key (or demo mode) authenticates. The caller opened it and closes it after the gateway. */
  keys?: KeyDirectory;
  /** The tenant/key store behind `/admin/tenants…` (the same one the key cache watches, so admin writes reach
   * `keys` before they return). Without it those routes answer 503. The caller opens and closes it. */
  stores?: Stores;
  /** The rate-limit store; default: opened from the `limits` config and closed with the gateway. */
  limiter?: RateLimiter;
  /** The budget counter store; default: opened from the `budgets`/`limits` config and closed with the gateway. */
  budgetCounter?: BudgetCounter;
  /** Where request log records go; default: `stores.requestLog` and process.stdout (per `request_log` config). */
  requestLog?: { store?: RequestLogStore; stdout?: LineSink };
}

export function startGateway(config: SwitchyardConfig, options: GatewayOptions = {}): Gateway {
  let runtime: Runtime = buildRuntime(config);
  let draining = false;
  const inFlight = new Set<AbortController>();
  const idleWaiters: (() => void)[] = [];
  const metrics = new GatewayMetrics({ processMetrics: options.processMetrics });
  // Cluster mode: breaker transitions and kill switches shared through Redis (unless the caller brings a store).
  const shared =
    options.resilience?.breakerStore === undefined
      ? openSharedState(config.shared_state, process.env, () => runtime.config.resilience.circuit_breaker.open_ms)
      : undefined;
  const resilience = new Resilience(config, shared ? { ...options.resilience, breakerStore: shared.breakers } : options.resilience);
  resilience.configure(config, runtime.routes);
  observeResilience(resilience, metrics);
  const killSwitchSharing = shared && new KillSwitchSharing(resilience.stats, shared.killSwitches, { syncMs: config.shared_state.sync_interval_ms });
  const stopObservingShared = shared && observeAvailability(shared.availability, 'redis_shared_state', metrics);
  const limiter = options.limiter ?? openRateLimiter(config.limits, process.env);
  const stopObservingLimiter = limiter.availability ? observeAvailability(limiter.availability, 'redis_rate_limits', metrics) : undefined;
  // The embedded store logs its own worker restarts (stores/sql/pglite.ts); here only the gauge follows it.
  const storeAvailability = options.stores?.availability;
  if (storeAvailability) metrics.setDependencyUp('pglite', storeAvailability.up);
  const stopObservingStore = storeAvailability?.onChange((up) => metrics.setDependencyUp('pglite', up));
  const limitRate = rateLimit(limiter, {
    failOpen: () => runtime.config.limits.fail_open,
    onStoreError: (_error, outcome) => metrics.countLimitStoreFailure(outcome),
  });
  const budgets = new Budgets({ config, current: () => runtime, metrics, spend: options.stores?.spend, counter: options.budgetCounter });
  const app = createApp(() => runtime, resilience, metrics, options.keys, limitRate, budgets.reserve);
  const requestLog = new RequestLog({
    settings: () => runtime.config.request_log,
    store: options.requestLog?.store ?? options.stores?.requestLog,
    stdout: options.requestLog?.stdout,
    registry: metrics.registry,
    warn: log.warn,
  });

  const state = {
    app,
    resilience,
    stores: options.stores,
    requestLog,
    budgets,
    readiness: () => (draining ? { ok: false, reason: 'shutting down' } : { ok: true }),
    draining: () => draining,
  };

  return {
    app,
    requestLog,
    resilience,
    budgets,
    config: () => runtime.config,
    get draining() {
      return draining;
    },

    handle(request) {
      return dispatch(state, request);
    },

    track(controller) {
      inFlight.add(controller);
      return () => {
        inFlight.delete(controller);
        if (inFlight.size === 0) for (const wake of idleWaiters.splice(0)) wake();
      };
    },

    async reload(next) {
      const previous = runtime;
      runtime = buildRuntime(next);
      resilience.configure(next, runtime.routes);
      budgets.reload(next);
      // undici's Agent.close() waits for requests already running on it.
      void previous.close();
    },

    async close(graceMs = runtime.config.server.shutdown_grace_ms) {
      draining = true;
      if (inFlight.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => idleWaiters.push(resolve)),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, graceMs);
          }),
        ]);
        clearTimeout(timer);
      }
      const reason = new GatewayError('shutting_down', 'The gateway is shutting down.');
      for (const controller of inFlight) controller.abort(reason);
      resilience.close();
      killSwitchSharing?.close();
      stopObservingShared?.();
      await shared?.close();
      await requestLog.close();
      await budgets.close();
      stopObservingLimiter?.();
      stopObservingStore?.();
      if (options.limiter === undefined) await limiter.close();
      await runtime.close();
    },
  };
}

/** Library entry: validates a config (object or `defineConfig()` result) and starts a gateway on it. */
export function createGatewayFromInput(input: SwitchyardConfigInput | SwitchyardConfig, options?: GatewayOptions): Gateway {
  return startGateway(parseConfig(input, process.env, 'createGateway() config'), options);
}
