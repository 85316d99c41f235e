/**
 * Deployment selection within a model (DESIGN.md §5): each strategy is a pure function of a snapshot of the
 * deployments' live state, returning the order in which to try them. The rules every strategy shares (who is
 * out of rotation, who is kept as a last resort) live in `orderDeployments`.
 */
import { weightedOrder, type Random } from './resolve.js';

export type RoutingStrategy = 'weighted' | 'least_outstanding' | 'latency';

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
}

export interface BalancerOptions {
  random: Random;
  /** Monotonic milliseconds, compared with `coolingDownUntil`. */
  now: number;
  /** Keep each deployment's upstream quota usage under this share (config `resilience.quota_share`). */
  quotaShare?: number;
}

export const defaultQuotaShare = 0.7;

/** Orders the deployments of one tier, best first; every input appears once in the output. */
type Strategy = (deployments: readonly DeploymentSnapshot[], random: Random) => DeploymentSnapshot[];

export function effectiveWeight(deployment: DeploymentSnapshot): number {
  return deployment.weight * deployment.healthWeight;
}

/** Weighted random order without replacement: each position is a pick proportional to effective weight. */
const weighted: Strategy = (deployments, random) => weightedOrder(deployments, effectiveWeight, random);

/**
 * Fewest requests in flight per unit of effective weight first. Ties (idle deployments, typically) are broken
 * by a weighted random order, so that light traffic still splits by weight, as nginx's weighted least_conn does.
 */
const leastOutstanding: Strategy = (deployments, random) => {
  const load = (d: DeploymentSnapshot) => d.outstanding / effectiveWeight(d);
  const levels = [...new Set(deployments.map(load))].sort((a, b) => a - b);
  return levels.flatMap((level) => weighted(deployments.filter((d) => load(d) === level), random));
};

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

const strategies: Record<RoutingStrategy, Strategy> = { weighted, least_outstanding: leastOutstanding, latency };

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
  return [...order(preferred, options.random), ...order(lastResort, options.random)];
}
