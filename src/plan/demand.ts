/**
 * Demand and fleet size: traffic from daily users, the peak the fleet must absorb, and the replicas that takes.
 */

/** Hours in an average month (8,760 / 12): the unit cloud providers bill monthly GPU time in. */
export const hoursPerMonth = 730;

export interface Demand {
  dailyActiveUsers: number;
  requestsPerUserPerDay: number;
  inputTokensPerRequest: number;
  outputTokensPerRequest: number;
  /** Busiest minute over the daily mean: ~2–4 for a single-region consumer app with a daily cycle. */
  peakToAverage: number;
}

export interface DemandProfile {
  requestsPerDay: number;
  averageRequestsPerMinute: number;
  peakRequestsPerMinute: number;
  /** Input plus output tokens per minute, the unit provider rate limits (TPM) count. */
  averageTokensPerMinute: number;
  peakTokensPerMinute: number;
  peakRequestsPerSecond: number;
  peakOutputTokensPerSecond: number;
  monthlyInputTokens: number;
  monthlyOutputTokens: number;
}

export function demandProfile(demand: Demand): DemandProfile {
  const requestsPerDay = demand.dailyActiveUsers * demand.requestsPerUserPerDay;
  const tokensPerRequest = demand.inputTokensPerRequest + demand.outputTokensPerRequest;
  const averageRequestsPerMinute = requestsPerDay / (24 * 60);
  const peakRequestsPerMinute = averageRequestsPerMinute * demand.peakToAverage;
  const requestsPerMonth = (requestsPerDay * hoursPerMonth) / 24;
  return {
    requestsPerDay,
    averageRequestsPerMinute,
    peakRequestsPerMinute,
    averageTokensPerMinute: averageRequestsPerMinute * tokensPerRequest,
    peakTokensPerMinute: peakRequestsPerMinute * tokensPerRequest,
    peakRequestsPerSecond: peakRequestsPerMinute / 60,
    peakOutputTokensPerSecond: (peakRequestsPerMinute / 60) * demand.outputTokensPerRequest,
    monthlyInputTokens: requestsPerMonth * demand.inputTokensPerRequest,
    monthlyOutputTokens: requestsPerMonth * demand.outputTokensPerRequest,
  };
}

/**
 * Replicas so that the peak keeps each at or under `targetUtilization` of its saturated throughput (headroom for
 * bursts inside the peak minute and for a replica being replaced), never fewer than `minReplicas`.
 */
export function replicasRequired(
  peakRequestsPerSecond: number,
  replicaRequestsPerSecond: number,
  targetUtilization: number,
  minReplicas = 1,
): number {
  if (!(targetUtilization > 0 && targetUtilization <= 1)) throw new RangeError('targetUtilization must be in (0, 1]');
  if (peakRequestsPerSecond <= 0) return minReplicas;
  if (replicaRequestsPerSecond <= 0) return Number.POSITIVE_INFINITY;
  // Round before the ceiling so that a load of exactly n replicas does not become n + 1 through float noise.
  const exact = peakRequestsPerSecond / (replicaRequestsPerSecond * targetUtilization);
  return Math.max(minReplicas, Math.ceil(Number(exact.toPrecision(12))));
}
