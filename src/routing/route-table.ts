/** The routing view of the config: public models and aliases resolved to adapters, built once per config. */
import type { Operation, ProviderAdapter } from '../core/provider.js';

export interface Deployment {
  adapter: ProviderAdapter;
  /** The model name the upstream knows. */
  upstreamModel: string;
  weight: number;
}

export interface ModelRoute {
  name: string;
  kind: 'chat' | 'embedding';
  deployments: Deployment[];
  fallbacks: string[];
  contextWindow?: number;
  ownedBy: string;
}

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
