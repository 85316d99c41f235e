/** The routing view of the config: public models and aliases resolved to adapters, built once per config. */
import type { Operation, ProviderAdapter } from '../core/provider.js';
import type { RoutingStrategy } from './balancers.js';
import type { PriceSchedule } from '../core/price-schedule.js';
import type { ContextOverflowConfig } from '../config/token-budget-schema.js';

export interface Deployment {
  /** Stable across reloads: `provider/upstream-model`. Breakers, budgets, stats and gates are keyed by it. */
  id: string;
  adapter: ProviderAdapter;
  /** The model name the upstream knows. */
  upstreamModel: string;
  /** What its tokens cost over time: the config's `price` or `prices`, else the provider's list; unknown for self-hosted. */
  prices?: PriceSchedule;
  weight: number;
  /** Where engine-aware routing reads its engine's load: the deployment's `metrics_url`, else the provider's. */
  metricsUrl?: string;
}

export interface ModelRoute {
  name: string;
  kind: 'chat' | 'embedding';
  deployments: Deployment[];
  fallbacks: string[];
  /** Fallbacks for one kind of failure, tried right after this model, before the general `fallbacks`. */
  fallbacksOn: Record<ConditionalFallbackKind, string[]>;
  routing: RoutingStrategy;
  /** Answer served when every deployment and fallback failed. */
  degradedResponse?: { content: string };
  /** Tokens of input + output the model takes: config, else the built-in table (core/model-limits.ts). */
  contextWindow?: number;
  maxOutputTokens?: number;
  /** What the token budget does with a request that does not fit (stages/token-budget.ts); default reject. */
  contextOverflow?: ContextOverflowConfig;
  ownedBy: string;
}

export type ConditionalFallbackKind = 'context_length_exceeded' | 'content_filtered' | 'rate_limited';

export interface AliasRoute {
  name: string;
  targets: { model: string; weight: number }[];
}

export interface RouteTable {
  models: ReadonlyMap<string, ModelRoute>;
  aliases: ReadonlyMap<string, AliasRoute>;
}

export function operationKind(operation: Operation): ModelRoute['kind'] {
  return operation === 'embeddings' ? 'embedding' : 'chat';
}
