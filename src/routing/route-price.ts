/**
 * The most a request to a model can cost per token: the dearest price among every deployment its fallback chain
 * may reach (the model's own, its fallbacks' and theirs, aliases expanded to all their targets). Budgets reserve
 * at this price, so a reservation is an upper bound whichever deployment ends up serving. Computed once per
 * route table and model, and again only when a price in it changes (an effective date passes).
 */
import type { RouteTable } from './route-table.js';

export interface PriceBound {
  /** USD per 1M input tokens: the dearer of uncached input and cache writes. */
  readonly input: number;
  /** USD per 1M output tokens. */
  readonly output: number;
  /** USD per request. */
  readonly perRequest: number;
  /** Epoch ms until which this bound holds (the next effective date among the prices it covers). */
  readonly validUntil: number;
}

const bounds = new WeakMap<RouteTable, Map<string, PriceBound>>();

function compute(routes: RouteTable, model: string, at: number): PriceBound {
  let input = 0;
  let output = 0;
  let perRequest = 0;
  let validUntil = Number.POSITIVE_INFINITY;
  const seen = new Set<string>();
  const pending = [model];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (seen.has(name)) continue;
    seen.add(name);
    const alias = routes.aliases.get(name);
    if (alias !== undefined) {
      pending.push(...alias.targets.map((target) => target.model));
      continue;
    }
    const route = routes.models.get(name);
    if (route === undefined) continue;
    pending.push(...route.fallbacks, ...Object.values(route.fallbacksOn).flat());
    for (const deployment of route.deployments) {
      const price = deployment.prices?.at(at);
      if (deployment.prices !== undefined) validUntil = Math.min(validUntil, deployment.prices.nextChangeAfter(at));
      if (price === undefined) continue;
      input = Math.max(input, price.input, price.cacheWrite ?? 0);
      output = Math.max(output, price.output);
      perRequest = Math.max(perRequest, price.perRequest ?? 0);
    }
  }
  return { input, output, perRequest, validUntil };
}

export function routePriceBound(routes: RouteTable, model: string, at: number): PriceBound {
  let byModel = bounds.get(routes);
  if (byModel === undefined) {
    byModel = new Map();
    bounds.set(routes, byModel);
  }
  const cached = byModel.get(model);
  if (cached !== undefined && at < cached.validUntil) return cached;
  const bound = compute(routes, model, at);
  byModel.set(model, bound);
  return bound;
}

/** USD a request may cost at most: its estimated input and its output allowance at the bound's prices. */
export function maxCostUsd(bound: PriceBound, inputTokens: number, outputTokens: number): number {
  return (inputTokens * bound.input + outputTokens * bound.output) / 1_000_000 + bound.perRequest;
}
