/**
 * Hosted providers' list prices, in one place: the adapters charge requests with them (`priceOf`) and the
 * capacity planner compares self-hosting against them.
 */
import type { Price } from '../pricing.js';
import { anthropicPrices } from './anthropic.js';
import { geminiPrices } from './gemini.js';
import { openAIPrices } from './openai.js';

export interface PriceList {
  provider: string;
  source: string;
  prices: Readonly<Record<string, Price>>;
}

export const hostedPriceLists: readonly PriceList[] = [
  { provider: 'openai', source: 'https://openai.com/api/pricing', prices: openAIPrices },
  { provider: 'anthropic', source: 'https://www.anthropic.com/pricing#api', prices: anthropicPrices },
  { provider: 'gemini', source: 'https://ai.google.dev/gemini-api/docs/pricing', prices: geminiPrices },
];
