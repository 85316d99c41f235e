/**
 * Anthropic list prices, USD per 1M tokens (https://www.anthropic.com/pricing#api, as of 2025-11): cache reads
 * at 10% of input, 5-minute cache writes at 125%. Defaults only: override per deployment with `price:`.
 */
import type { Price } from '../pricing.js';

const tier = (input: number, output: number): Price => ({ input, output, cachedInput: input * 0.1, cacheWrite: input * 1.25 });

export const anthropicPrices: Record<string, Price> = {
  'claude-opus-4-5': tier(5, 25),
  'claude-opus-4-1': tier(15, 75),
  'claude-opus-4': tier(15, 75),
  'claude-sonnet-4-5': tier(3, 15),
  'claude-sonnet-4': tier(3, 15),
  'claude-3-7-sonnet': tier(3, 15),
  'claude-haiku-4-5': tier(1, 5),
  'claude-3-5-haiku': tier(0.8, 4),
};
