/**
 * Gemini API list prices, USD per 1M tokens (https://ai.google.dev/gemini-api/docs/pricing, paid tier, prompts
 * up to 200k tokens, as of 2025-11). Defaults only: override per deployment with `price:` in config.
 */
import type { Price } from '../pricing.js';

export const geminiPrices: Record<string, Price> = {
  'gemini-2.5-pro': { input: 1.25, cachedInput: 0.31, output: 10 },
  'gemini-2.5-flash': { input: 0.3, cachedInput: 0.075, output: 2.5 },
  'gemini-2.5-flash-lite': { input: 0.1, cachedInput: 0.025, output: 0.4 },
  'gemini-2.0-flash': { input: 0.1, cachedInput: 0.025, output: 0.4 },
  'gemini-embedding-001': { input: 0.15, output: 0 },
};
