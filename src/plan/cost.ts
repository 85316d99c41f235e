/**
 * Monthly cost of self-hosting against paying an API per token, and the volume where they cross.
 */
import { hostedPriceLists } from '../core/prices/index.js';
import { hoursPerMonth } from './demand.js';

export interface ApiPrice {
  id: string;
  /** USD per million input tokens. */
  inputPer1M: number;
  /** USD per million output tokens. */
  outputPer1M: number;
  source: string;
}

/**
 * Hosted chat models' list prices (standard tier, no caching or batch discount), from the same lists the gateway
 * charges requests with (src/core/prices/); override with your own.
 */
export const apiPrices: ReadonlyMap<string, ApiPrice> = new Map(
  hostedPriceLists.flatMap(({ source, prices }) =>
    Object.entries(prices)
      .filter(([, price]) => price.output > 0)
      .map(([id, price]): [string, ApiPrice] => [id, { id, inputPer1M: price.input, outputPer1M: price.output, source }]),
  ),
);

export function monthlyApiCost(price: ApiPrice, inputTokens: number, outputTokens: number): number {
  return (inputTokens * price.inputPer1M + outputTokens * price.outputPer1M) / 1e6;
}

export function monthlySelfHostedCost(replicas: number, gpusPerReplica: number, gpuHourlyUsd: number): number {
  return replicas * gpusPerReplica * gpuHourlyUsd * hoursPerMonth;
}

export interface CrossoverInput {
  price: ApiPrice;
  inputTokensPerRequest: number;
  outputTokensPerRequest: number;
  /** One replica's monthly bill. */
  replicaMonthlyUsd: number;
  /** Requests per second one replica serves at its target utilisation. */
  replicaRequestsPerSecond: number;
  peakToAverage: number;
  minReplicas: number;
}

export interface Crossover {
  apiUsdPerRequest: number;
  /** Self-hosted cost per request with replicas sized for the peak and otherwise fully used. */
  selfHostedUsdPerRequestAtCapacity: number;
  /** Monthly requests above which self-hosting costs less; undefined when it never does. */
  requestsPerMonth?: number;
  tokensPerMonth?: number;
}

/**
 * The API bill grows linearly with volume; the self-hosted one in steps of a replica. Self-hosting first wins
 * where the API bill reaches the cost of the minimum fleet, provided one replica can carry that volume at peak;
 * if a replica's cost per request (at capacity) exceeds the API's, it never wins. Just past each later step up
 * the API can briefly be cheaper again; the first crossing is the one reported.
 */
export function crossover(input: CrossoverInput): Crossover {
  const apiUsdPerRequest = (input.inputTokensPerRequest * input.price.inputPer1M + input.outputTokensPerRequest * input.price.outputPer1M) / 1e6;
  const replicaRequestsPerMonth = (input.replicaRequestsPerSecond * 3600 * hoursPerMonth) / input.peakToAverage;
  const selfHostedUsdPerRequestAtCapacity = input.replicaMonthlyUsd / replicaRequestsPerMonth;
  if (!(selfHostedUsdPerRequestAtCapacity <= apiUsdPerRequest) || apiUsdPerRequest <= 0) {
    return { apiUsdPerRequest, selfHostedUsdPerRequestAtCapacity };
  }
  const requestsPerMonth = (input.minReplicas * input.replicaMonthlyUsd) / apiUsdPerRequest;
  return {
    apiUsdPerRequest,
    selfHostedUsdPerRequestAtCapacity,
    requestsPerMonth,
    tokensPerMonth: requestsPerMonth * (input.inputTokensPerRequest + input.outputTokensPerRequest),
  };
}
