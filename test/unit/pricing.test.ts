import assert from 'node:assert/strict';
import { test } from 'node:test';
import { costOf, lookupPrice } from '../../src/core/pricing.js';
import { anthropicPrices } from '../../src/core/prices/anthropic.js';
import { shippedPriceRows } from '../../src/core/prices/index.js';
import { openAIPrices } from '../../src/core/prices/openai.js';

test('cost splits input into uncached, cache reads and cache writes, each at its own price', () => {
  const price = { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15, perRequest: 0.001 };
  const usage = {
    prompt_tokens: 10_000,
    completion_tokens: 2_000,
    total_tokens: 12_000,
    prompt_tokens_details: { cached_tokens: 6_000 },
    cache_creation_input_tokens: 1_000,
  };
  // 3,000 uncached × 3 + 6,000 × 0.3 + 1,000 × 3.75 + 2,000 × 15, per million, plus the flat fee.
  const expected = (3_000 * 3 + 6_000 * 0.3 + 1_000 * 3.75 + 2_000 * 15) / 1_000_000 + 0.001;
  assert.ok(Math.abs(costOf(usage, price) - expected) < 1e-12);
});

test('without cache prices, cached and written tokens cost the input price', () => {
  const usage = { prompt_tokens: 1_000_000, completion_tokens: 0, total_tokens: 1_000_000, prompt_tokens_details: { cached_tokens: 500_000 } };
  assert.equal(costOf(usage, { input: 2, output: 8 }), 2);
});

test('dated model names find their base price; other suffixes are other models', () => {
  assert.equal(lookupPrice(openAIPrices, 'gpt-4o-mini-2024-07-18'), openAIPrices['gpt-4o-mini']);
  assert.equal(lookupPrice(openAIPrices, 'gpt-4o-2024-08-06'), openAIPrices['gpt-4o']);
  assert.equal(lookupPrice(anthropicPrices, 'claude-sonnet-4-5-20250929'), anthropicPrices['claude-sonnet-4-5']);
  assert.equal(lookupPrice(openAIPrices, 'gpt-4o-minimal'), undefined);
  assert.equal(lookupPrice(openAIPrices, 'gpt-4o-audio-preview'), undefined);
  assert.equal(lookupPrice(openAIPrices, 'meta-llama/Llama-3.1-8B-Instruct'), undefined);
});

test('shipped list prices are the published decimals, without float artefacts (the price table shows them)', () => {
  assert.equal(anthropicPrices['claude-sonnet-4-5']?.cachedInput, 0.3, 'cache reads at 10% of $3');
  assert.equal(anthropicPrices['claude-3-5-haiku']?.cachedInput, 0.08, 'cache reads at 10% of $0.80');
  for (const row of shippedPriceRows()) {
    for (const [field, value] of Object.entries(row.price)) {
      if (value === undefined) continue;
      assert.ok(/^\d+(\.\d{1,6})?$/.test(String(value)), `${row.provider}/${row.model} ${field} is ${value}`);
    }
  }
});
