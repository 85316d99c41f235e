import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiPrices, crossover, monthlyApiCost, monthlySelfHostedCost } from '../../src/plan/cost.js';
import { demandProfile, hoursPerMonth, replicasRequired } from '../../src/plan/demand.js';
import { providerLimits, tierFor } from '../../src/plan/rate-limits.js';

describe('demand', () => {
  const profile = demandProfile({
    dailyActiveUsers: 144_000,
    requestsPerUserPerDay: 10,
    inputTokensPerRequest: 800,
    outputTokensPerRequest: 200,
    peakToAverage: 3,
  });

  test('tokens per minute = DAU × requests per user per day × tokens per request / 1,440, times the peak factor', () => {
    assert.equal(profile.requestsPerDay, 1_440_000);
    assert.equal(profile.averageRequestsPerMinute, 1000);
    assert.equal(profile.averageTokensPerMinute, 1_000_000);
    assert.equal(profile.peakRequestsPerMinute, 3000);
    assert.equal(profile.peakTokensPerMinute, 3_000_000);
    assert.equal(profile.peakRequestsPerSecond, 50);
    assert.equal(profile.peakOutputTokensPerSecond, 10_000);
  });

  test('monthly tokens use the 730-hour billing month', () => {
    assert.equal(hoursPerMonth, 730);
    assert.equal(profile.monthlyInputTokens, ((1_440_000 * 730) / 24) * 800);
  });
});

describe('replicas', () => {
  test('the peak divided by what a replica serves at the target utilisation, rounded up', () => {
    assert.equal(replicasRequired(50, 10, 0.5), 10);
    assert.equal(replicasRequired(51, 10, 0.5), 11);
    assert.equal(replicasRequired(7, 10, 0.7), 1);
  });

  test('never fewer than the minimum, and infinite when a replica serves nothing', () => {
    assert.equal(replicasRequired(1, 100, 0.7, 2), 2);
    assert.equal(replicasRequired(0, 100, 0.7), 1);
    assert.equal(replicasRequired(1, 0, 0.7), Number.POSITIVE_INFINITY);
    assert.throws(() => replicasRequired(1, 1, 0), RangeError);
  });
});

describe('cost', () => {
  const price = apiPrices.get('gpt-4o-mini')!;

  test('self-hosting bills GPUs × hours; the API bills tokens at its per-million prices', () => {
    assert.equal(monthlySelfHostedCost(3, 2, 2), 3 * 2 * 2 * 730);
    assert.equal(monthlyApiCost(price, 10e6, 2e6), 10 * 0.15 + 2 * 0.6);
  });

  const base = {
    price,
    inputTokensPerRequest: 1000,
    outputTokensPerRequest: 500,
    replicaMonthlyUsd: 2000,
    peakToAverage: 2,
    minReplicas: 1,
  };

  test('self-hosting wins above the volume where the API bill reaches the minimum fleet’s cost', () => {
    const result = crossover({ ...base, replicaRequestsPerSecond: 10 });
    assert.equal(result.apiUsdPerRequest, (1000 * 0.15 + 500 * 0.6) / 1e6);
    assert.equal(result.requestsPerMonth, 2000 / result.apiUsdPerRequest);
    assert.equal(result.tokensPerMonth, result.requestsPerMonth! * 1500);
    assert.ok(result.selfHostedUsdPerRequestAtCapacity < result.apiUsdPerRequest);
  });

  test('a minimum of two replicas doubles the crossover volume', () => {
    const one = crossover({ ...base, replicaRequestsPerSecond: 10 });
    const two = crossover({ ...base, replicaRequestsPerSecond: 10, minReplicas: 2 });
    assert.equal(two.requestsPerMonth, 2 * one.requestsPerMonth!);
  });

  test('no crossover when a fully used replica still costs more per request than the API', () => {
    const result = crossover({ ...base, replicaRequestsPerSecond: 0.5 });
    assert.equal(result.requestsPerMonth, undefined);
    assert.ok(result.selfHostedUsdPerRequestAtCapacity > result.apiUsdPerRequest);
  });
});

describe('provider rate-limit tiers', () => {
  const mini = providerLimits.get('gpt-4o-mini')!;

  test('OpenAI publishes five paid tiers whose limits never decrease', () => {
    assert.equal(mini.tiers.length, 5);
    for (const limits of providerLimits.values()) {
      limits.tiers.slice(1).forEach((tier, i) => {
        assert.ok(tier.requestsPerMinute >= limits.tiers[i]!.requestsPerMinute && tier.tokensPerMinute >= limits.tiers[i]!.tokensPerMinute);
      });
    }
  });

  test('the lowest tier covering both requests and tokens per minute', () => {
    assert.equal(tierFor(mini, 400, 150_000).tier?.tier, 'Tier 1');
    assert.equal(tierFor(mini, 400, 3_000_000).tier?.tier, 'Tier 3', 'tokens decide');
    assert.equal(tierFor(mini, 9000, 100_000).tier?.tier, 'Tier 4', 'requests decide');
  });

  test('a load beyond the top tier gets no tier and reports how far over it is', () => {
    const fit = tierFor(providerLimits.get('gpt-4o')!, 20_000, 1_000_000);
    assert.equal(fit.tier, undefined);
    assert.equal(fit.topTierLoad, 2);
  });
});
