/**
 * OpenAI list prices, USD per 1M tokens (https://openai.com/api/pricing/, standard tier, as of 2025-11), each
 * row effective from the model's release or its last price change. Defaults only: override with `prices:` or a
 * deployment's `price:` in config when your contract differs.
 */
import { pricesAt, schedulesOf, type ListedPrice } from '../price-schedule.js';

export const openAIPriceList: readonly ListedPrice[] = [
  { model: 'gpt-5', from: '2025-08-07', input: 1.25, cachedInput: 0.125, output: 10 },
  { model: 'gpt-5-mini', from: '2025-08-07', input: 0.25, cachedInput: 0.025, output: 2 },
  { model: 'gpt-5-nano', from: '2025-08-07', input: 0.05, cachedInput: 0.005, output: 0.4 },
  { model: 'gpt-4.1', from: '2025-04-14', input: 2, cachedInput: 0.5, output: 8 },
  { model: 'gpt-4.1-mini', from: '2025-04-14', input: 0.4, cachedInput: 0.1, output: 1.6 },
  { model: 'gpt-4.1-nano', from: '2025-04-14', input: 0.1, cachedInput: 0.025, output: 0.4 },
  // `gpt-4o` pointed at the 2024-05-13 snapshot until 2024-10-02, then at the cheaper 2024-08-06 one.
  { model: 'gpt-4o', from: '2024-05-13', to: '2024-10-02', input: 5, output: 15 },
  { model: 'gpt-4o', from: '2024-10-02', input: 2.5, cachedInput: 1.25, output: 10 },
  // The first snapshot kept its launch price: a dated name of its own, so it does not match `gpt-4o`.
  { model: 'gpt-4o-2024-05-13', from: '2024-05-13', input: 5, output: 15 },
  { model: 'gpt-4o-mini', from: '2024-07-18', input: 0.15, cachedInput: 0.075, output: 0.6 },
  // o3 launched at $10/$40 and was cut by 80% on 2025-06-10.
  { model: 'o3', from: '2025-04-16', to: '2025-06-10', input: 10, cachedInput: 2.5, output: 40 },
  { model: 'o3', from: '2025-06-10', input: 2, cachedInput: 0.5, output: 8 },
  { model: 'o4-mini', from: '2025-04-16', input: 1.1, cachedInput: 0.275, output: 4.4 },
  { model: 'text-embedding-3-small', from: '2024-01-25', input: 0.02, output: 0 },
  { model: 'text-embedding-3-large', from: '2024-01-25', input: 0.13, output: 0 },
  { model: 'text-embedding-ada-002', from: '2022-12-15', input: 0.1, output: 0 },
];

export const openAIPriceSchedules = schedulesOf(openAIPriceList);
/** The prices in effect now. */
export const openAIPrices = pricesAt(openAIPriceSchedules, Date.now());
