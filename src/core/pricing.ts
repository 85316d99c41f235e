/**
 * Prices and the cost of one request. Prices are USD per million tokens (and per request), as providers publish
 * them. Hosted lists live in core/prices/, versioned with effective dates (core/price-schedule.ts); config
 * overrides them with its `prices:` table and per deployment with `price:`.
 */
import type { Usage } from './openai-types.js';

export interface Price {
  /** Uncached input tokens, USD per 1M. */
  input: number;
  /** Input tokens read from the provider's prompt cache, USD per 1M (defaults to `input`). */
  cachedInput?: number;
  /** Input tokens written to the provider's prompt cache (Anthropic), USD per 1M (defaults to `input`). */
  cacheWrite?: number;
  /** Output tokens (reasoning included), USD per 1M. */
  output: number;
  /** Flat fee per request, USD. */
  perRequest?: number;
}

export const freePrice: Price = { input: 0, output: 0 };

/** USD for one request. `prompt_tokens` includes cached reads and cache writes, as the internal usage does. */
export function costOf(usage: Usage, price: Price): number {
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  const written = usage.cache_creation_input_tokens ?? 0;
  const uncached = Math.max(0, usage.prompt_tokens - cached - written);
  const perToken =
    uncached * price.input +
    cached * (price.cachedInput ?? price.input) +
    written * (price.cacheWrite ?? price.input) +
    usage.completion_tokens * price.output;
  return perToken / 1_000_000 + (price.perRequest ?? 0);
}

/** A version suffix providers append to a model name: a date (`-2024-07-18`, `-20250929`), `-0613`, `-latest`. */
const versionSuffix = /^-(\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|latest)$/;

/**
 * Finds a model's price in a provider's list, also under a dated name: `gpt-4o-mini-2024-07-18` and
 * `claude-sonnet-4-5-20250929` match `gpt-4o-mini` and `claude-sonnet-4-5`. Other suffixes are other models
 * (`gpt-4o-audio-preview` is not `gpt-4o`), so they get no price rather than a wrong one.
 */
export function lookupPrice<T = Price>(prices: Readonly<Record<string, T>>, model: string): T | undefined {
  const exact = prices[model];
  if (exact !== undefined) return exact;
  for (const name of Object.keys(prices)) {
    if (model.startsWith(name) && versionSuffix.test(model.slice(name.length))) return prices[name];
  }
  return undefined;
}
