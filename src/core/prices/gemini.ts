/**
 * Gemini API list prices, USD per 1M tokens (https://ai.google.dev/gemini-api/docs/pricing, paid tier, prompts
 * up to 200k tokens, as of 2025-11), each row effective from general availability. Defaults only: override with
 * `prices:` or a deployment's `price:` in config.
 */
import { pricesAt, schedulesOf, type ListedPrice } from '../price-schedule.js';

export const geminiPriceList: readonly ListedPrice[] = [
  { model: 'gemini-2.5-pro', from: '2025-06-17', input: 1.25, cachedInput: 0.31, output: 10 },
  // 2.5 Flash's preview was billed $0.15 input and $3.50 output (thinking); GA on 2025-06-17 set one price.
  { model: 'gemini-2.5-flash', from: '2025-04-17', to: '2025-06-17', input: 0.15, cachedInput: 0.0375, output: 3.5 },
  { model: 'gemini-2.5-flash', from: '2025-06-17', input: 0.3, cachedInput: 0.075, output: 2.5 },
  { model: 'gemini-2.5-flash-lite', from: '2025-07-22', input: 0.1, cachedInput: 0.025, output: 0.4 },
  { model: 'gemini-2.0-flash', from: '2025-02-05', input: 0.1, cachedInput: 0.025, output: 0.4 },
  { model: 'gemini-embedding-001', from: '2025-07-14', input: 0.15, output: 0 },
];

export const geminiPriceSchedules = schedulesOf(geminiPriceList);
/** The prices in effect now. */
export const geminiPrices = pricesAt(geminiPriceSchedules, Date.now());
