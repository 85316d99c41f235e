/**
 * Deployment selection within a model (DESIGN.md §5): each strategy is a pure function of a snapshot of the
 * deployments' live state, returning the order in which to try them. The rules every strategy shares (who is
 * out of rotation, who is kept as a last resort) live in `orderDeployments`. The engine-aware strategy reads
 * what `routing/engine-aware/` adds to the snapshot: the engine's own load and how much of the prompt's prefix
 * each deployment already served.
 */
import { weightedOrder, type Random } from './resolve.js';

export type RoutingStrategy = 'weighted' | 'least_outstanding' | 'latency' | 'engine_aware';

/** An engine's load from a fresh metrics reading, with the gateway's own dispatches since then added in. */
export interface EngineLoad {
  /** Requests waiting in the engine, plus those the gateway sent since the reading and still has in flight. */
  queue: number;
  running: number;
  /** Share of the KV cache in use, 0..1; undefined when the engine does not report it. */
  kvUsage?: number;
}

/** Beyond either limit a deployment loses its prefix affinity: a cache hit is not worth waiting in a queue. */
export interface SaturationLimits {
  queue: number;
  kv: number;
}

/** One deployment's state at the moment of the pick. Times are on the same monotonic clock as `now`. */
export interface DeploymentSnapshot {
  id: string;
  /** Configured weight. */
  weight: number;
  /** Circuit-breaker share of normal traffic, 0..1; 0 takes the deployment out of rotation. */
  healthWeight: number;
  /** Requests in flight to it. */
  outstanding: number;
  /** Peak-EWMA latency in milliseconds; undefined until it answered once. */
  latencyMs?: number;
  /** Smallest remaining share (0..1) of its upstream quotas; undefined when unknown. */
  quotaHeadroom?: number;
  /** Avoided until then, after the upstream answered 429 with retry-after. */
  coolingDownUntil?: number;
  /** Taken out of rotation by the admin kill switch. */
  disabled: boolean;
  /** Engine-aware routing: the engine's load, when a fresh reading exists (else least-outstanding applies). */
  engine?: EngineLoad;
  /** Engine-aware routing: how many leading blocks of this request's prompt it served before. */
  prefixBlocks?: number;
}

export interface BalancerOptions {
  random: Random;
  /** Monotonic milliseconds, compared with `coolingDownUntil`. */
  now: number;
  /** Keep each deployment's upstream quota usage under this share (config `resilience.quota_share`). */
  quotaShare?: number;
  /** Engine-aware routing: when a deployment is too loaded to keep its prefix affinity. */
  saturation?: SaturationLimits;
}

export const defaultQuotaShare = 0.7;
export const defaultSaturation: SaturationLimits = { queue: 5, kv: 0.8 };

/** Orders the deployments of one tier, best first; every input appears once in the output. */
type Strategy = (deployments: readonly DeploymentSnapshot[], random: Random, saturation: SaturationLimits) => DeploymentSnapshot[];

export function effectiveWeight(deployment: DeploymentSnapshot): number {
  return deployment.weight * deployment.healthWeight;
}

/** Weighted random order without replacement: each position is a pick proportional to effective weight. */
const weighted: Strategy = (deployments, random) => weightedOrder(deployments, effectiveWeight, random);

/** Ties (equal cost, typically idle deployments) are broken by a weighted random order. */
function byCost(deployments: readonly DeploymentSnapshot[], cost: (d: DeploymentSnapshot) => number, random: Random): DeploymentSnapshot[] {
  const costs = new Map(deployments.map((d) => [d, cost(d)]));
  const levels = [...new Set(costs.values())].sort((a, b) => a - b);
  return levels.flatMap((level) => weightedOrder(deployments.filter((d) => costs.get(d) === level), effectiveWeight, random));
}

/**
 * Fewest requests in flight per unit of effective weight first. Ties (idle deployments, typically) are broken
 * by a weighted random order, so that light traffic still splits by weight, as nginx's weighted least_conn does.
 */
const leastOutstanding: Strategy = (deployments, random) =>
  byCost(deployments, (d) => d.outstanding / effectiveWeight(d), random);

/**
 * Peak-EWMA cost: latency × (outstanding + 1) per unit of effective weight, lower is better. A deployment that
 * never answered is assumed as fast as the fastest known one, so it gets tried and measured soon without
 * drawing every request while its first answers are still outstanding.
 */
export function latencyCost(deployment: DeploymentSnapshot, optimisticLatencyMs: number): number {
  const latency = deployment.latencyMs ?? optimisticLatencyMs;
  return (latency * (deployment.outstanding + 1)) / effectiveWeight(deployment);
}

/**
 * Power of two choices over the peak-EWMA cost, repeated to produce a full order: two distinct deployments are
 * drawn at random and the cheaper goes next. Drawing two instead of taking the cheapest keeps a burst of picks
 * made on the same snapshot from all landing on one deployment.
 */
const latency: Strategy = (deployments, random) => {
  const known = deployments.flatMap((d) => (d.latencyMs === undefined ? [] : [d.latencyMs]));
  const optimistic = known.length === 0 ? 1 : Math.min(...known);
  const pool = [...deployments];
  const ordered: DeploymentSnapshot[] = [];
  while (pool.length > 1) {
    const first = Math.floor(random() * pool.length);
    const second = (first + 1 + Math.floor(random() * (pool.length - 1))) % pool.length;
    const costFirst = latencyCost(pool[first]!, optimistic);
    const costSecond = latencyCost(pool[second]!, optimistic);
    const chosen = costSecond < costFirst ? second : first;
    ordered.push(pool.splice(chosen, 1)[0]!);
  }
  return [...ordered, ...pool];
};

// A waiting request costs one; a running one slows every step a little; a full KV cache is close to a queue.
const runningCost = 0.1;
const kvCost = 4;

/**
 * Engine-aware cost per unit of effective weight, lower is better: with a fresh reading, the engine's queue
 * (waiting, plus the gateway's dispatches since the reading), a little for each running request and for KV
 * use; without one, the gateway's own requests in flight, as least-outstanding counts them.
 */
export function engineCost(deployment: DeploymentSnapshot): number {
  const { engine } = deployment;
  const load =
    engine === undefined ? deployment.outstanding : engine.queue + runningCost * engine.running + kvCost * (engine.kvUsage ?? 0);
  return load / effectiveWeight(deployment);
}

export function isSaturated(load: EngineLoad, limits: SaturationLimits): boolean {
  return load.queue > limits.queue || (load.kvUsage !== undefined && load.kvUsage > limits.kv);
}

/**
 * Prefix affinity first: the deployment that served the longest leading part of this prompt, if its engine
 * reports it is not saturated (a deployment without a fresh reading cannot show that, so it gets none). Then
 * everyone else by engine cost, as backups.
 */
const engineAware: Strategy = (deployments, random, saturation) => {
  const ranked = byCost(deployments, engineCost, random);
  let affine: DeploymentSnapshot | undefined;
  for (const deployment of ranked) {
    const blocks = deployment.prefixBlocks ?? 0;
    if (blocks === 0 || deployment.engine === undefined || isSaturated(deployment.engine, saturation)) continue;
    if (affine === undefined || blocks > affine.prefixBlocks!) affine = deployment;
  }
  return affine === undefined ? ranked : [affine, ...ranked.filter((d) => d !== affine)];
};

const strategies: Record<RoutingStrategy, Strategy> = {
  weighted,
  least_outstanding: leastOutstanding,
  latency,
  engine_aware: engineAware,
};

/** Cooling down after a 429, or closer to its upstream quota than `quotaShare` allows. */
export function isLastResort(deployment: DeploymentSnapshot, now: number, quotaShare: number): boolean {
  const coolingDown = deployment.coolingDownUntil !== undefined && deployment.coolingDownUntil > now;
  const nearQuota = deployment.quotaHeadroom !== undefined && 1 - deployment.quotaHeadroom > quotaShare;
  return coolingDown || nearQuota;
}

/**
 * The order in which to try a model's deployments. Disabled ones and those with no effective weight (open
 * breaker, weight 0) are left out; those cooling down or near their quota come after all others, in the same
 * strategy's order, so they still serve when nothing else can.
 */
export function orderDeployments(
  strategy: RoutingStrategy,
  candidates: readonly DeploymentSnapshot[],
  options: BalancerOptions,
): DeploymentSnapshot[] {
  const quotaShare = options.quotaShare ?? defaultQuotaShare;
  const inRotation = candidates.filter((d) => !d.disabled && effectiveWeight(d) > 0);
  const preferred = inRotation.filter((d) => !isLastResort(d, options.now, quotaShare));
  const lastResort = inRotation.filter((d) => isLastResort(d, options.now, quotaShare));
  const order = strategies[strategy];
  const saturation = options.saturation ?? defaultSaturation;
  return [...order(preferred, options.random, saturation), ...order(lastResort, options.random, saturation)];
}
