/**
 * Hosted providers' list prices, in one place: the adapters charge requests with them (`priceOf`), the price
 * table (`/admin/prices`) lists them, and the capacity planner compares self-hosting against them.
 */
import type { Price } from '../pricing.js';
import { rowOf, type ListedPrice, type PriceRow } from '../price-schedule.js';
import { anthropicPriceList, anthropicPrices } from './anthropic.js';
import { geminiPriceList, geminiPrices } from './gemini.js';
import { openAIPriceList, openAIPrices } from './openai.js';

export interface PriceList {
  provider: string;
  source: string;
  /** Every version, with effective dates. */
  rows: readonly ListedPrice[];
  /** The prices in effect now. */
  prices: Readonly<Record<string, Price>>;
}

export const hostedPriceLists: readonly PriceList[] = [
  { provider: 'openai', source: 'https://openai.com/api/pricing', rows: openAIPriceList, prices: openAIPrices },
  { provider: 'anthropic', source: 'https://www.anthropic.com/pricing#api', rows: anthropicPriceList, prices: anthropicPrices },
  { provider: 'gemini', source: 'https://ai.google.dev/gemini-api/docs/pricing', rows: geminiPriceList, prices: geminiPrices },
];

/** The shipped lists as price-table rows, tagged with the provider type they belong to. */
export function shippedPriceRows(): PriceRow[] {
  return hostedPriceLists.flatMap(({ provider, rows }) => rows.map((row) => rowOf(provider, row)));
}
