/**
 * Everything derived from one validated config: adapters and the route table. A reload builds a new runtime
 * and swaps it in whole; the old one's connection pools close once their in-flight requests finish.
 */
import type { ProviderAdapter } from './core/provider.js';
import type { DeploymentConfig, SwitchyardConfig } from './config/schema.js';
import { PriceSchedule, PriceTable } from './core/price-schedule.js';
import { configuredPriceRows } from './config/money-schema.js';
import { createProviderAdapter } from './providers/registry.js';
import type { AliasRoute, ModelRoute, RouteTable } from './routing/route-table.js';
import { knownModelLimits } from './core/model-limits.js';

export interface Runtime {
  readonly config: SwitchyardConfig;
  readonly routes: RouteTable;
  readonly adapters: ReadonlyMap<string, ProviderAdapter>;
  /** The config's `prices:` rows (they override the providers' list prices). */
  readonly prices: PriceTable;
  /** Unix seconds when this config was loaded (the `created` of `/v1/models`). */
  readonly loadedAt: number;
  close(): Promise<void>;
}

/** A deployment's `price:` wins, then the `prices:` table, then the provider's list. */
function pricesOf(deployment: DeploymentConfig, adapter: ProviderAdapter, table: PriceTable): PriceSchedule | undefined {
  const configured = deployment.price;
  if (configured === undefined) return table.scheduleOf(deployment.provider, deployment.model) ?? adapter.priceOf?.(deployment.model);
  return PriceSchedule.always({
    input: configured.input,
    output: configured.output,
    cachedInput: configured.cached_input,
    cacheWrite: configured.cache_write,
    perRequest: configured.per_request,
  });
}

export function deploymentId(provider: string, upstreamModel: string): string {
  return `${provider}/${upstreamModel}`;
}

const known = (name: string, upstream: string) => knownModelLimits(upstream) ?? knownModelLimits(name);

export function buildRuntime(config: SwitchyardConfig): Runtime {
  const adapters = new Map<string, ProviderAdapter>();
  for (const [name, provider] of Object.entries(config.providers)) adapters.set(name, createProviderAdapter(name, provider));
  const prices = new PriceTable(configuredPriceRows(config.prices));
  const models = new Map<string, ModelRoute>();
  for (const [name, model] of Object.entries(config.models)) {
    models.set(name, {
      name,
      kind: model.kind,
      deployments: model.deployments.map((deployment) => ({
        id: deploymentId(deployment.provider, deployment.model),
        adapter: adapters.get(deployment.provider)!,
        upstreamModel: deployment.model,
        weight: deployment.weight,
        prices: pricesOf(deployment, adapters.get(deployment.provider)!, prices),
        metricsUrl: deployment.metrics_url ?? adapters.get(deployment.provider)!.metricsUrl,
      })),
      fallbacks: model.fallbacks,
      fallbacksOn: model.fallbacks_on,
      routing: model.routing,
      degradedResponse: model.degraded_response,
      // Config wins; else the published limits of the upstream model, else of the public name.
      contextWindow: model.context_window ?? known(name, model.deployments[0]!.model)?.contextWindow,
      maxOutputTokens: model.max_output_tokens ?? known(name, model.deployments[0]!.model)?.maxOutputTokens,
      contextOverflow: model.context_overflow,
      ownedBy: model.owned_by ?? model.deployments[0]!.provider,
    });
  }
  const aliases = new Map<string, AliasRoute>();
  for (const [name, alias] of Object.entries(config.aliases)) aliases.set(name, { name, targets: alias.targets });
  return {
    config,
    routes: { models, aliases },
    adapters,
    prices,
    loadedAt: Math.floor(Date.now() / 1000),
    async close() {
      await Promise.allSettled([...adapters.values()].map((adapter) => adapter.close?.()));
    },
  };
}
