/** Prices over time: rows with effective dates, config rows over shipped ones, and the route's dearest price. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configuredPriceRows, pricesConfigSchema } from '../../src/config/money-schema.js';
import { PriceSchedule, PriceTable } from '../../src/core/price-schedule.js';
import { openAIPriceSchedules } from '../../src/core/prices/openai.js';
import { lookupPrice } from '../../src/core/pricing.js';
import { buildRuntime } from '../../src/runtime.js';
import { parseConfig } from '../../src/config/load.js';
import { maxCostUsd, routePriceBound } from '../../src/routing/route-price.js';

const at = (date: string) => Date.parse(`${date}T12:00:00Z`);

test('a schedule answers the price in effect at a time; before the first row and in gaps there is none', () => {
  const schedule = new PriceSchedule([
    { price: { input: 1, output: 2 }, effectiveFrom: at('2025-01-01'), effectiveTo: at('2025-02-01') },
    { price: { input: 3, output: 4 }, effectiveFrom: at('2025-03-01') },
  ]);
  assert.equal(schedule.at(at('2024-12-31')), undefined);
  assert.equal(schedule.at(at('2025-01-15'))?.input, 1);
  assert.equal(schedule.at(at('2025-02-01')), undefined, 'effective_to is exclusive');
  assert.equal(schedule.at(at('2025-06-01'))?.input, 3);
  assert.equal(schedule.nextChangeAfter(at('2025-01-15')), at('2025-02-01'));
  assert.equal(schedule.nextChangeAfter(at('2025-06-01')), Number.POSITIVE_INFINITY);
});

test('shipped lists keep old prices: gpt-4o before and after 2024-10-02, o3 before and after its cut; dated names too', () => {
  const gpt4o = lookupPrice(openAIPriceSchedules, 'gpt-4o-2024-08-06')!;
  assert.equal(gpt4o.at(Date.UTC(2024, 8, 1))?.input, 5);
  assert.equal(gpt4o.at(Date.UTC(2024, 9, 2))?.input, 2.5);
  assert.equal(lookupPrice(openAIPriceSchedules, 'gpt-4o-2024-05-13')!.at(Date.UTC(2025, 0, 1))?.input, 5, 'the first snapshot kept its price');
  assert.equal(openAIPriceSchedules.o3!.at(Date.UTC(2025, 5, 1))?.output, 40);
  assert.equal(openAIPriceSchedules.o3!.at(Date.UTC(2025, 5, 10))?.output, 8);
});

test('config rows: a provider row beats an any-provider row; overlapping rows are rejected', () => {
  const rows = configuredPriceRows(
    pricesConfigSchema.parse([
      { model: 'm', input: 1, output: 1 },
      { model: 'm', provider: 'p', input: 2, output: 2, effective_from: '2025-01-01' },
    ]),
  );
  const table = new PriceTable(rows);
  assert.equal(table.priceAt('p', 'm', at('2025-06-01'))?.input, 2);
  assert.equal(table.priceAt('p', 'm', at('2024-06-01')), undefined, "p's own rows are its whole history");
  assert.equal(table.priceAt('q', 'm-20250101', at('2024-06-01'))?.input, 1, 'others get the any-provider row, dated names included');
  const overlap = pricesConfigSchema.safeParse([
    { model: 'm', input: 1, output: 1, effective_to: '2025-02-01' },
    { model: 'm', input: 2, output: 2, effective_from: '2025-01-15' },
  ]);
  assert.equal(overlap.success, false);
  assert.match(JSON.stringify(overlap.error?.issues), /overlaps prices\[0\]/);
});

test('a deployment price wins over the table, the table over the list; the route bound covers fallbacks and aliases', () => {
  const config = parseConfig(
    {
      providers: { openai: { type: 'openai', api_key: 'sk' } },
      models: {
        small: { deployments: [{ provider: 'openai', model: 'gpt-4o-mini' }], fallbacks: ['pricey'] },
        pricey: { deployments: [{ provider: 'openai', model: 'gpt-4o' }] },
        fixed: { deployments: [{ provider: 'openai', model: 'gpt-4o', price: { input: 9, output: 9, per_request: 0.5 } }] },
      },
      aliases: { either: { targets: [{ model: 'small' }, { model: 'fixed' }] } },
      prices: [{ model: 'gpt-4o-mini', input: 0.5, output: 0.7 }],
    },
    {},
    'test',
  );
  const runtime = buildRuntime(config);
  try {
    const now = Date.UTC(2025, 6, 1);
    assert.equal(runtime.routes.models.get('small')!.deployments[0]!.prices!.at(now)?.input, 0.5, 'the table beats the list');
    const small = routePriceBound(runtime.routes, 'small', now);
    assert.deepEqual([small.input, small.output, small.perRequest], [2.5, 10, 0], 'the gpt-4o fallback is the dearest');
    const either = routePriceBound(runtime.routes, 'either', now);
    assert.deepEqual([either.input, either.output, either.perRequest], [9, 10, 0.5]);
    assert.ok(Math.abs(maxCostUsd(either, 1000, 100) - (1000 * 9 + 100 * 10) / 1e6 - 0.5) < 1e-12, 'max cost');
  } finally {
    void runtime.close();
  }
});
