/**
 * Provider rate-limit tiers as data, and the lowest tier a load fits in. OpenAI's tiers advance with cumulative
 * spend and account age; limits are per model and per organisation. Figures: OpenAI rate-limits guide
 * (platform.openai.com/docs/guides/rate-limits, "Usage tiers"), gpt-4o and gpt-4o-mini tables as published in
 * 2025. OpenAI revises them; your organisation's limits page is authoritative, and a custom table can be passed.
 */

export interface RateLimitTier {
  tier: string;
  qualification: string;
  requestsPerMinute: number;
  tokensPerMinute: number;
}

export interface ProviderLimits {
  provider: string;
  model: string;
  source: string;
  /** Lowest tier first. */
  tiers: readonly RateLimitTier[];
}

const openAiSource = 'https://platform.openai.com/docs/guides/rate-limits';
const qualifications = ['$5 paid', '$50 paid and 7+ days', '$100 paid and 7+ days', '$250 paid and 14+ days', '$1,000 paid and 30+ days'];

function openAiTiers(model: string, limits: ReadonlyArray<readonly [rpm: number, tpm: number]>): ProviderLimits {
  return {
    provider: 'openai',
    model,
    source: openAiSource,
    tiers: limits.map(([requestsPerMinute, tokensPerMinute], i) => ({
      tier: `Tier ${i + 1}`,
      qualification: qualifications[i] ?? '',
      requestsPerMinute,
      tokensPerMinute,
    })),
  };
}

export const providerLimits: ReadonlyMap<string, ProviderLimits> = new Map(
  [
    openAiTiers('gpt-4o-mini', [[500, 200_000], [5000, 2_000_000], [5000, 4_000_000], [10_000, 10_000_000], [30_000, 150_000_000]]),
    openAiTiers('gpt-4o', [[500, 30_000], [5000, 450_000], [5000, 800_000], [10_000, 2_000_000], [10_000, 30_000_000]]),
  ].map((limits) => [limits.model, limits]),
);

export interface TierFit {
  provider: string;
  model: string;
  /** The lowest tier whose RPM and TPM both cover the load; undefined when even the top tier does not. */
  tier?: RateLimitTier;
  requestsPerMinute: number;
  tokensPerMinute: number;
  /** Load over the top tier's limit on the tighter dimension (1 = exactly at it). */
  topTierLoad: number;
}

export function tierFor(limits: ProviderLimits, requestsPerMinute: number, tokensPerMinute: number): TierFit {
  const tier = limits.tiers.find((t) => requestsPerMinute <= t.requestsPerMinute && tokensPerMinute <= t.tokensPerMinute);
  const top = limits.tiers.at(-1);
  const topTierLoad = top ? Math.max(requestsPerMinute / top.requestsPerMinute, tokensPerMinute / top.tokensPerMinute) : Number.POSITIVE_INFINITY;
  return { provider: limits.provider, model: limits.model, ...(tier ? { tier } : {}), requestsPerMinute, tokensPerMinute, topTierLoad };
}
