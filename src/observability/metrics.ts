/**
 * Prometheus metrics (`/metrics`). Names follow the OpenTelemetry GenAI conventions where they exist
 * (`gen_ai.client.operation.duration`, `gen_ai.server.time_to_first_token`, `gen_ai.client.token.usage`),
 * written the Prometheus way. One registry per gateway, so several gateways can live in one process.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { BudgetPeriod } from '../budgets/period.js';
import type { GatewayContext } from '../core/context.js';
import { PulledCounter, PulledHistogram } from './pulled-series.js';

const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const tokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576];

const MAX_TENANT_LABELS = 1000;

const circuitStateValue = { closed: 0, open: 1, half_open: 2, recovering: 3 } as const;

interface Observer {
  observe(value: number): void;
}

interface Incrementer {
  inc(value?: number): void;
}

interface BudgetSeries {
  child: { set(value: number): void };
  labels: { scope: 'tenant'; tenant: string; period: BudgetPeriod['kind'] };
  /** Epoch ms when the period the value belongs to ends: the series is removed then. */
  end: number;
}

interface RequestSeries {
  /** `switchyard_requests_total` by HTTP status. */
  requests: Map<number, Incrementer>;
  duration: Observer;
  ttft: Observer;
  inputUsage: Observer;
  outputUsage: Observer;
  inputTokens: Incrementer;
  outputTokens: Incrementer;
  cachedTokens: Incrementer;
  cost: Incrementer;
}

/** The value under `key`, made on first use: each label combination's series is bound once. */
function bound<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  /**
   * Series by operation (endpoint), model and provider, bound once: nested maps keyed by the strings the request
   * already holds, so recording builds no key. Bounded like the labels.
   */
  private readonly series = new Map<string, Map<string, Map<string, RequestSeries>>>();
  /** `switchyard_upstream_attempts_total` series by provider, then outcome. */
  private readonly attemptSeries = new Map<string, Map<string, Incrementer>>();
  /** Requests being served now; the gauge reads it on scrape. */
  private requestsInFlight = 0;
  private readonly requests = new PulledCounter({
    name: 'switchyard_requests_total',
    help: 'Requests answered, by endpoint, public model, provider and HTTP status.',
    labelNames: ['endpoint', 'model', 'provider', 'status'] as const,
    registers: [this.registry],
  });
  private readonly errors = new Counter({
    name: 'switchyard_errors_total',
    help: 'Failed requests by endpoint and error code.',
    labelNames: ['endpoint', 'code'] as const,
    registers: [this.registry],
  });
  private readonly attempts = new PulledCounter({
    name: 'switchyard_upstream_attempts_total',
    help: 'Upstream attempts by provider and outcome (ok or an error code).',
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly duration = new PulledHistogram({
    name: 'gen_ai_client_operation_duration_seconds',
    help: 'Request duration from arrival to the last byte, seconds.',
    labelNames: ['gen_ai_operation_name', 'gen_ai_request_model', 'gen_ai_provider_name'] as const,
    buckets: latencyBuckets,
    registers: [this.registry],
  });
  private readonly ttft = new PulledHistogram({
    name: 'gen_ai_server_time_to_first_token_seconds',
    help: 'Time from arrival to the first token (streams) or the full answer (non-stream), seconds.',
    labelNames: ['gen_ai_operation_name', 'gen_ai_request_model', 'gen_ai_provider_name'] as const,
    buckets: latencyBuckets,
    registers: [this.registry],
  });
  private readonly tokenUsage = new PulledHistogram({
    name: 'gen_ai_client_token_usage',
    help: 'Tokens per request by type (input, output).',
    labelNames: ['gen_ai_token_type', 'gen_ai_request_model', 'gen_ai_provider_name'] as const,
    buckets: tokenBuckets,
    registers: [this.registry],
  });
  private readonly tokens = new PulledCounter({
    name: 'switchyard_tokens_total',
    help: 'Tokens processed by type (input, output, cached_input).',
    labelNames: ['type', 'model', 'provider'] as const,
    registers: [this.registry],
  });
  private readonly circuitState = new Gauge({
    name: 'switchyard_circuit_state',
    help: 'Circuit breaker state per deployment: 0 closed, 1 open, 2 half-open, 3 recovering.',
    labelNames: ['deployment'] as const,
    registers: [this.registry],
  });
  private readonly alerts = new Counter({
    name: 'switchyard_alerts_total',
    help: 'Alert events by kind (outage_started, outage_resolved).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  private readonly cost = new PulledCounter({
    name: 'switchyard_cost_usd_total',
    help: 'Spend in USD by public model and provider (requests whose price is known).',
    labelNames: ['model', 'provider'] as const,
    registers: [this.registry],
  });
  private readonly dependencyUp = new Gauge({
    name: 'switchyard_dependency_up',
    help: 'Whether a shared-state dependency answers (1) or not (0), e.g. redis_rate_limits, redis_shared_state.',
    labelNames: ['dependency'] as const,
    registers: [this.registry],
  });
  private readonly limitStoreFailures = new Counter({
    name: 'switchyard_rate_limit_store_failures_total',
    help: 'Rate-limit checks the store could not answer, by what happened: allowed (fail open), refused (fail closed), background.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly tenantCost = new Counter({
    name: 'switchyard_tenant_cost_usd_total',
    help: `Spend in USD by tenant (the first ${MAX_TENANT_LABELS} tenants seen by name, the rest as "other").`,
    labelNames: ['tenant'] as const,
    registers: [this.registry],
  });
  private readonly tenantLabels = new Set<string>();
  private readonly budgetEvents = new Counter({
    name: 'switchyard_budget_events_total',
    help: 'Budget events: downgraded, alert_delivered, alert_failed, alert_dropped, spend_rows_dropped, store_error.',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });
  /** Tenant budget series by `tenant\u0000period`, at most one per tenant and period kind, capped like the tenant labels. */
  private readonly budgetSeries = new Map<string, BudgetSeries>();
  private readonly budgetUsed = new Gauge({
    name: 'switchyard_budget_used_ratio',
    help: `Tenant budget used this period, (spent + reserved) / amount, as last seen by this replica (the first ${MAX_TENANT_LABELS} tenants with a budget; key budgets are not exported).`,
    labelNames: ['scope', 'tenant', 'period'] as const,
    registers: [this.registry],
    collect: () => this.expireBudgetSeries(Date.now()),
  });
  private readonly inFlight: Gauge = new Gauge({
    name: 'switchyard_in_flight_requests',
    help: 'Requests being served now (streams included).',
    registers: [this.registry],
    collect: () => {
      this.inFlight.set(this.requestsInFlight);
    },
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** A request began (dispatch); `requestEnded` follows once per request. */
  requestStarted(): void {
    this.requestsInFlight += 1;
  }

  requestEnded(): void {
    this.requestsInFlight -= 1;
  }

  /** Called once per request, when its last byte was sent (or it failed). */
  recordRequest(ctx: GatewayContext, status: number, errorCode?: string): void {
    const model = ctx.model ?? ctx.requestedModel ?? 'none';
    const provider = ctx.provider ?? 'none';
    const series = this.seriesFor(ctx.endpoint, model, provider);
    bound(series.requests, status, () => this.requests.series({ endpoint: ctx.endpoint, model, provider, status })).inc();
    if (errorCode !== undefined) this.errors.inc({ endpoint: ctx.endpoint, code: errorCode });
    for (const attempt of ctx.attempts) this.attemptCounter(attempt.provider, attempt.errorCode ?? 'ok').inc();
    if (ctx.endpoint === 'models' || ctx.endpoint === 'admin') return;
    series.duration.observe((performance.now() - ctx.startedAt) / 1000);
    if (ctx.ttftMs !== undefined) series.ttft.observe(ctx.ttftMs / 1000);
    if (ctx.costUsd !== undefined && ctx.costUsd > 0) series.cost.inc(ctx.costUsd);
    const usage = ctx.usage;
    if (usage === undefined) return;
    series.inputUsage.observe(usage.prompt_tokens);
    series.outputUsage.observe(usage.completion_tokens);
    series.inputTokens.inc(usage.prompt_tokens);
    series.outputTokens.inc(usage.completion_tokens);
    const cached = usage.prompt_tokens_details?.cached_tokens;
    if (cached) series.cachedTokens.inc(cached);
  }

  private attemptCounter(provider: string, outcome: string): Incrementer {
    const byOutcome = bound(this.attemptSeries, provider, () => new Map<string, Incrementer>());
    return bound(byOutcome, outcome, () => this.attempts.series({ provider, outcome }));
  }

  /**
   * The per-(operation, model, provider) series, bound once (pulled-series.ts: recording is plain arithmetic; a
   * series bound but never recorded is not rendered, e.g. the histograms of `models` requests).
   */
  private seriesFor(operation: string, model: string, provider: string): RequestSeries {
    const byModel = bound(this.series, operation, () => new Map<string, Map<string, RequestSeries>>());
    const byProvider = bound(byModel, model, () => new Map<string, RequestSeries>());
    return bound(byProvider, provider, () => {
      const labels = { gen_ai_operation_name: operation, gen_ai_request_model: model, gen_ai_provider_name: provider };
      const tokenLabels = { gen_ai_request_model: model, gen_ai_provider_name: provider };
      return {
        requests: new Map(),
        duration: this.duration.series(labels),
        ttft: this.ttft.series(labels),
        inputUsage: this.tokenUsage.series({ ...tokenLabels, gen_ai_token_type: 'input' }),
        outputUsage: this.tokenUsage.series({ ...tokenLabels, gen_ai_token_type: 'output' }),
        inputTokens: this.tokens.series({ type: 'input', model, provider }),
        outputTokens: this.tokens.series({ type: 'output', model, provider }),
        cachedTokens: this.tokens.series({ type: 'cached_input', model, provider }),
        cost: this.cost.series({ model, provider }),
      };
    });
  }

  setCircuitState(deployment: string, state: 'closed' | 'open' | 'half_open' | 'recovering'): void {
    this.circuitState.set({ deployment }, circuitStateValue[state]);
  }

  setDependencyUp(dependency: string, up: boolean): void {
    this.dependencyUp.set({ dependency }, up ? 1 : 0);
  }

  countLimitStoreFailure(outcome: 'allowed' | 'refused' | 'background'): void {
    this.limitStoreFailures.inc({ outcome });
  }

  /** A tenant key's request cost; tenants beyond the label cap share one series so a big fleet cannot grow it. */
  addTenantSpend(tenantId: string, usd: number): void {
    if (!this.tenantLabels.has(tenantId) && this.tenantLabels.size < MAX_TENANT_LABELS) this.tenantLabels.add(tenantId);
    this.tenantCost.inc({ tenant: this.tenantLabels.has(tenantId) ? tenantId : 'other' }, usd);
  }

  /**
   * A tenant budget's standing in `period` (called by the budget stage on each reservation and settlement). A value
   * of an earlier period than the series holds (a late settlement) is ignored; the series goes when its period ends.
   */
  setTenantBudgetUsed(tenantId: string, period: BudgetPeriod, ratio: number): void {
    const key = `${tenantId}\u0000${period.kind}`;
    let series = this.budgetSeries.get(key);
    if (series === undefined) {
      if (this.budgetSeries.size >= 2 * MAX_TENANT_LABELS) return;
      const labels = { scope: 'tenant', tenant: tenantId, period: period.kind } as const;
      series = { child: this.budgetUsed.labels(labels), labels, end: period.end };
      this.budgetSeries.set(key, series);
    } else if (period.end < series.end) {
      return;
    }
    series.end = period.end;
    series.child.set(ratio);
  }

  /** Removes budget series whose period is over, so a new period starts with no value rather than the last one. */
  private expireBudgetSeries(now: number): void {
    for (const [key, series] of this.budgetSeries) {
      if (series.end > now) continue;
      this.budgetUsed.remove(series.labels);
      this.budgetSeries.delete(key);
    }
  }

  countBudgetEvent(event: string, count = 1): void {
    this.budgetEvents.inc({ event }, count);
  }

  countAlert(kind: string): void {
    this.alerts.inc({ kind });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
