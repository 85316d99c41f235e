/** Alias → model resolution and weighted-random helpers; pure given a random source. */
import { GatewayError } from '../core/errors.js';
import type { Deployment, ModelRoute, RouteTable } from './route-table.js';

export type Random = () => number;

/** Index picked with probability proportional to weight; zero total weight picks uniformly. */
export function weightedIndex(weights: readonly number[], random: Random): number {
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  if (total <= 0) return Math.floor(random() * weights.length);
  let point = random() * total;
  for (let i = 0; i < weights.length; i++) {
    point -= weights[i]!;
    if (point < 0) return i;
  }
  return weights.length - 1;
}

/** A weighted random order without replacement: the first is the weighted pick, the rest are its backups. */
export function weightedOrder<T>(items: readonly T[], weightOf: (item: T) => number, random: Random): T[] {
  const pool = [...items];
  const ordered: T[] = [];
  while (pool.length > 0) {
    const index = weightedIndex(pool.map(weightOf), random);
    ordered.push(pool.splice(index, 1)[0]!);
  }
  return ordered;
}

/** Resolves a public name (model or alias) to a model route; unknown names are a 404. */
export function resolveModel(table: RouteTable, name: string, random: Random = Math.random): ModelRoute {
  const alias = table.aliases.get(name);
  const target = alias === undefined ? name : alias.targets[weightedIndex(alias.targets.map((t) => t.weight), random)]!.model;
  const route = table.models.get(target);
  if (route === undefined) {
    throw new GatewayError('model_not_found', `The model \`${name}\` does not exist or you do not have access to it.`, {
      param: 'model',
    });
  }
  return route;
}

export interface Candidate {
  model: ModelRoute;
  deployment: Deployment;
}

