/**
 * Pulled series (observability/pulled-series.ts) render exactly what prom-client's own counters and histograms
 * render for the same recordings: names, types, label order, buckets, series order (first recorded first), sums in
 * recording order, zero increments, values above the highest bound; and bad values still throw where recorded.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { PulledCounter, PulledHistogram } from '../../src/observability/pulled-series.js';

const buckets = [0.005, 0.01, 0.5, 1, 120];

function pair() {
  const own = new Registry();
  const pulled = new Registry();
  const config = (registry: Registry) => ({ name: 'x_seconds', help: 'A histogram.', labelNames: ['op', 'model'] as const, buckets, registers: [registry] });
  const counterConfig = (registry: Registry) => ({ name: 'x_total', help: 'A counter.', labelNames: ['type', 'model'] as const, registers: [registry] });
  return {
    own,
    pulled,
    ownHistogram: new Histogram(config(own)),
    pulledHistogram: new PulledHistogram(config(pulled)),
    ownCounter: new Counter(counterConfig(own)),
    pulledCounter: new PulledCounter(counterConfig(pulled)),
  };
}

test('a pulled histogram and counter render what prom-client renders for the same values', async () => {
  const { own, pulled, ownHistogram, pulledHistogram, ownCounter, pulledCounter } = pair();
  const labelsA = { op: 'chat', model: 'a' };
  const labelsB = { op: 'chat', model: 'b"q' };
  const ownA = ownHistogram.labels(labelsA);
  const ownB = ownHistogram.labels(labelsB);
  // Bound first for B, recorded first for A: the series appear in recording order.
  const pulledB = pulledHistogram.series(labelsB);
  const pulledA = pulledHistogram.series(labelsA);
  const unused = pulledHistogram.series({ op: 'never', model: 'x' });
  for (const value of [0.001, 0.005, 0.0051, 0.7, 200, 0.1 + 0.2, 1e-9]) {
    ownA.observe(value);
    pulledA.observe(value);
  }
  ownB.observe(120);
  pulledB.observe(120);
  const counterLabels = [{ type: 'input', model: 'a' }, { type: 'output', model: 'a' }] as const;
  const ownCounters = counterLabels.map((labels) => ownCounter.labels(labels));
  const pulledCounters = counterLabels.map((labels) => pulledCounter.series(labels));
  for (const [index, value] of [0, 0.1, 0.2, 0.3, 1e-17, 7].entries()) {
    ownCounters[index % 2]!.inc(value);
    pulledCounters[index % 2]!.inc(value);
  }
  assert.equal(unused.count, 0);
  assert.equal(await pulled.metrics(), await own.metrics());
  assert.deepEqual(
    (await pulled.getMetricsAsJSON()).map((metric) => metric.values.length),
    (await own.getMetricsAsJSON()).map((metric) => metric.values.length),
  );
});

test('pulled series refuse the values prom-client refuses', () => {
  const { pulledHistogram, pulledCounter } = pair();
  assert.throws(() => pulledHistogram.series({ op: 'chat', model: 'a' }).observe(Number.NaN), TypeError);
  assert.throws(() => pulledCounter.series({ type: 'input', model: 'a' }).inc(Number.POSITIVE_INFINITY), TypeError);
  assert.throws(() => pulledCounter.series({ type: 'input', model: 'a' }).inc(-1), /decrease/);
});
