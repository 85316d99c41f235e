/**
 * The per-gateway resilience state: one circuit breaker, retry budget, live stats entry and (optional)
 * concurrency gate per deployment, the active health checker and the outage detector. It outlives config
 * reloads (`configure` applies new settings and forgets removed deployments) so an outage is not forgotten
 * because a file was saved.
 */
import { systemClock, type Clock } from '../core/clock.js';
import type { SwitchyardConfig } from '../config/schema.js';
import { orderDeployments, type DeploymentSnapshot } from '../routing/balancers.js';
import { DeploymentStats, type DeploymentRef } from '../routing/deployment-stats.js';
import {
  EngineAwareRouter,
  engineAwareSettingsFromConfig,
  type EngineAwareModel,
} from '../routing/engine-aware/engine-aware-router.js';
import type { PromptRequest } from '../routing/engine-aware/prompt-blocks.js';
import type { Deployment, ModelRoute, RouteTable } from '../routing/route-table.js';
import { backoffPolicyFromConfig, type BackoffPolicy } from './backoff.js';
import { circuitBreakerOptionsFromConfig } from './circuit-breaker.js';
import { CircuitBreakers } from './circuit-breakers.js';
import type { BreakerStateStore } from './circuit-breaker-store.js';
import { ConcurrencyGates, type DeploymentConcurrencyConfig } from './concurrency-gate.js';
import { HealthChecker, healthCheckTimingFromConfig, type HealthTarget } from './health-checker.js';
import { OutageDetector, outageDetectorOptionsFromConfig, type OutageListener } from './outage-detector.js';
import { RetryBudgets, retryBudgetOptionsFromConfig } from './retry-budget.js';

export interface RetrySettings {
  maxAttempts: number;
  backoff: BackoffPolicy;
  firstByteTimeoutMs: number | undefined;
  quotaShare: number;
}

export interface ResilienceOptions {
  clock?: Clock;
  random?: () => number;
  /** Shares breaker transitions between gateway replicas (cluster mode); in-process only when unset. */
  breakerStore?: BreakerStateStore;
}

export class Resilience {
  readonly clock: Clock;
  readonly random: () => number;
  readonly breakers: CircuitBreakers;
  readonly budgets: RetryBudgets;
  readonly stats: DeploymentStats;
  readonly gates: ConcurrencyGates;
  readonly outages: OutageDetector;
  /** Engine metrics and prefix affinity for `routing: engine_aware` models. */
  readonly engineAware: EngineAwareRouter;
  private health: HealthChecker | undefined;
  private healthTiming = '';
  private readonly unhealthyProviders = new Set<string>();
  /** Health targets are providers; their live answers are recorded per deployment. */
  private deploymentsByProvider = new Map<string, string[]>();
  settings: RetrySettings;

  constructor(config: SwitchyardConfig, options: ResilienceOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    const { resilience } = config;
    this.breakers = new CircuitBreakers(circuitBreakerOptionsFromConfig(resilience.circuit_breaker), this.clock, {
      store: options.breakerStore,
    });
    this.budgets = new RetryBudgets(retryBudgetOptionsFromConfig(resilience.retries), this.clock);
    this.stats = new DeploymentStats({ clock: this.clock });
    this.gates = new ConcurrencyGates({ clock: this.clock });
    this.outages = new OutageDetector(outageDetectorOptionsFromConfig(resilience.health_checks), this.clock);
    this.engineAware = new EngineAwareRouter({ clock: this.clock });
    this.settings = settingsOf(config);
  }

  /** Applies a (re)loaded config and its route table: options, deployment set, gates, health targets. */
  configure(config: SwitchyardConfig, routes: RouteTable): void {
    const { resilience } = config;
    this.settings = settingsOf(config);
    this.breakers.updateOptions(circuitBreakerOptionsFromConfig(resilience.circuit_breaker));
    this.budgets.updateOptions(retryBudgetOptionsFromConfig(resilience.retries));
    this.outages.configure(outageDetectorOptionsFromConfig(resilience.health_checks));

    const limits: Record<string, DeploymentConcurrencyConfig> = {};
    const healthTargets = new Map<string, HealthTarget>();
    const byProvider = new Map<string, string[]>();
    const engineAware: EngineAwareModel[] = [];
    for (const model of routes.models.values()) {
      if (model.routing === 'engine_aware') {
        const settings = engineAwareSettingsFromConfig(config.models[model.name]!.engine_aware);
        engineAware.push({ name: model.name, settings, deployments: model.deployments });
      }
      for (const [index, deployment] of model.deployments.entries()) {
        const configured = config.models[model.name]!.deployments[index]!;
        if (configured.max_concurrency !== undefined) limits[deployment.id] = configured;
        healthTargets.set(deployment.adapter.name, { id: deployment.adapter.name, adapter: deployment.adapter });
        byProvider.set(deployment.adapter.name, [...(byProvider.get(deployment.adapter.name) ?? []), deployment.id]);
      }
    }
    this.deploymentsByProvider = byProvider;
    const ids = [...routes.models.values()].flatMap((model) => model.deployments.map((deployment) => deployment.id));
    this.breakers.retainOnly(ids);
    this.budgets.retainOnly(ids);
    this.gates.configure(limits);
    this.engineAware.configure(engineAware);
    this.configureHealth(config, [...healthTargets.values()]);
  }

  private configureHealth(config: SwitchyardConfig, targets: HealthTarget[]): void {
    const checks = config.resilience.health_checks;
    const timing = JSON.stringify(healthCheckTimingFromConfig(checks));
    if (this.health !== undefined && (timing !== this.healthTiming || !checks.enabled)) {
      this.health.stop();
      this.health = undefined;
    }
    if (!checks.enabled) {
      this.unhealthyProviders.clear();
      return;
    }
    if (this.health === undefined) {
      this.healthTiming = timing;
      this.health = new HealthChecker({
        ...healthCheckTimingFromConfig(checks),
        clock: this.clock,
        random: this.random,
        onResult: (provider, _result, status) => {
          if (status.healthy) this.unhealthyProviders.delete(provider);
          else this.unhealthyProviders.add(provider);
          // The passive detector needs a clock tick to resolve outages of deployments that get no traffic.
          this.outages.sweep();
        },
        answeredSince: (provider, since) =>
          (this.deploymentsByProvider.get(provider) ?? []).some((id) => (this.stats.lastAnsweredAt(id) ?? -Infinity) >= since),
        // A skipped probe is still the interval's tick for the passive detector (see above).
        onSkipped: () => this.outages.sweep(),
      });
      this.health.start();
    }
    this.health.setTargets(targets);
  }

  onAlert(listener: OutageListener): () => void {
    return this.outages.onAlert(listener);
  }

  /**
   * The model's deployments in the order to try them. Half-open breakers come first, so real requests probe
   * them (a failed probe still falls through to the next deployment); open breakers and disabled deployments
   * are left out. Deployments failing only their active health check are kept as a last resort when nothing
   * else is in rotation: a broken health endpoint must not take a working model down. `request` is only read
   * by engine-aware routing (prefix affinity).
   */
  order(model: ModelRoute, deployments: readonly Deployment[], request?: PromptRequest): Deployment[] {
    if (deployments.length === 1) return this.orderOne(model, deployments[0]!);
    const byId = new Map(deployments.map((deployment) => [deployment.id, deployment]));
    const options = { random: this.random, now: this.clock.now(), quotaShare: this.settings.quotaShare };
    const snapshots = this.snapshot(model, deployments, true);
    const probing = deployments.filter(
      (deployment, index) => !snapshots[index]!.disabled && this.breakers.get(deployment.id).currentState() === 'half_open',
    );
    let ordered =
      model.routing === 'engine_aware'
        ? this.engineAware.order(model.name, snapshots, request, options)
        : orderDeployments(model.routing, snapshots, options);
    if (ordered.length === 0 && probing.length === 0) {
      ordered = orderDeployments(model.routing, this.snapshot(model, deployments, false), options);
    }
    return [...probing, ...ordered.map((snapshot) => byId.get(snapshot.id)!)];
  }

  /**
   * The same rules for the common one-deployment model, without building snapshots: out only when disabled,
   * weighted 0, or its breaker is open (a failing health check alone never empties a model).
   */
  private orderOne(model: ModelRoute, deployment: Deployment): Deployment[] {
    if (deployment.weight <= 0 || this.stats.isDisabled(deployment.id, deployment.adapter.name, model.name)) return [];
    const breaker = this.breakers.get(deployment.id);
    return breaker.currentState() === 'half_open' || breaker.weight() > 0 ? [deployment] : [];
  }

  /** Balancer input; `withHealthChecks` takes deployments of providers failing their probes out of rotation. */
  snapshot(model: ModelRoute, deployments: readonly Deployment[], withHealthChecks = true): DeploymentSnapshot[] {
    const refs: DeploymentRef[] = deployments.map((deployment) => ({
      id: deployment.id,
      provider: deployment.adapter.name,
      model: model.name,
      weight: deployment.weight,
      healthWeight:
        withHealthChecks && this.unhealthyProviders.has(deployment.adapter.name) ? 0 : this.breakers.get(deployment.id).weight(),
    }));
    return this.stats.snapshot(refs);
  }

  /** For /admin: breakers, budgets, gates, health and outage state, kill switches, engine readings. */
  status(): Record<string, unknown> {
    return {
      circuits: this.breakers.snapshot(),
      retry_budgets: this.budgets.snapshot(),
      concurrency: this.gates.stats(),
      health: this.health?.status() ?? {},
      unhealthy_providers: [...this.unhealthyProviders],
      outages: this.outages.status(),
      kill_switches: this.stats.killSwitches(),
      engine_loads: this.engineAware.loads(),
    };
  }

  close(): void {
    this.health?.stop();
    this.breakers.close();
    void this.engineAware.close();
  }
}

function settingsOf(config: SwitchyardConfig): RetrySettings {
  const { resilience } = config;
  return {
    maxAttempts: resilience.retries.max_attempts,
    backoff: backoffPolicyFromConfig(resilience.retries),
    firstByteTimeoutMs: resilience.attempt_first_byte_timeout_ms,
    quotaShare: resilience.quota_share,
  };
}
