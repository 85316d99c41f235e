/**
 * Anthropic list prices, USD per 1M tokens (https://www.anthropic.com/pricing#api, as of 2025-11): cache reads
 * at 10% of input, 5-minute cache writes at 125%; each row effective from the model's release. Defaults only:
 * override with `prices:` or a deployment's `price:` in config.
 */
import type { Price } from '../pricing.js';
import { pricesAt, schedulesOf, type ListedPrice } from '../price-schedule.js';

/** Rounded to the nano-dollar, so 3 × 0.1 is the published $0.30, not 0.30000000000000004. */
const decimal = (usd: number): number => Math.round(usd * 1e9) / 1e9;
const tier = (input: number, output: number): Price => ({ input, output, cachedInput: decimal(input * 0.1), cacheWrite: decimal(input * 1.25) });

export const anthropicPriceList: readonly ListedPrice[] = [
  { model: 'claude-opus-4-5', from: '2025-11-24', ...tier(5, 25) },
  { model: 'claude-opus-4-1', from: '2025-08-05', ...tier(15, 75) },
  { model: 'claude-opus-4', from: '2025-05-22', ...tier(15, 75) },
  { model: 'claude-sonnet-4-5', from: '2025-09-29', ...tier(3, 15) },
  { model: 'claude-sonnet-4', from: '2025-05-22', ...tier(3, 15) },
  { model: 'claude-3-7-sonnet', from: '2025-02-24', ...tier(3, 15) },
  { model: 'claude-haiku-4-5', from: '2025-10-15', ...tier(1, 5) },
  { model: 'claude-3-5-haiku', from: '2024-11-04', ...tier(0.8, 4) },
];

export const anthropicPriceSchedules = schedulesOf(anthropicPriceList);
/** The prices in effect now. */
export const anthropicPrices = pricesAt(anthropicPriceSchedules, Date.now());
