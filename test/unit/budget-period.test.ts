/** Budget periods and money units: UTC days and months, their ids and resets, nano-dollar rounding. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { counterKey, nanosCeil, nanosOf, periodOf, usdOf, utcDay } from '../../src/budgets/period.js';

test('a day runs from UTC midnight to the next, whatever the local time zone', () => {
  const day = periodOf('day', Date.UTC(2025, 5, 14, 23, 59, 59, 999));
  assert.deepEqual(day, { kind: 'day', id: '2025-06-14', start: Date.UTC(2025, 5, 14), end: Date.UTC(2025, 5, 15) });
  assert.equal(periodOf('day', Date.UTC(2025, 5, 15)).id, '2025-06-15', 'midnight starts the next day');
  assert.equal(utcDay(Date.UTC(2024, 1, 29, 12)), '2024-02-29');
});

test('a month runs from the 1st to the next 1st, across year ends and leap Februaries', () => {
  assert.deepEqual(periodOf('month', Date.UTC(2025, 11, 31, 23)), { kind: 'month', id: '2025-12', start: Date.UTC(2025, 11, 1), end: Date.UTC(2026, 0, 1) });
  const february = periodOf('month', Date.UTC(2024, 1, 10));
  assert.equal(february.end - february.start, 29 * 86_400_000);
});

test('the period reused from the last call is right on either side of a boundary, in any order', () => {
  const midnight = Date.UTC(2025, 11, 31, 24);
  for (const at of [midnight - 1, midnight, midnight - 1, midnight + 1, Date.UTC(2025, 11, 1), midnight]) {
    const day = new Date(at).toISOString().slice(0, 10);
    assert.equal(periodOf('day', at).id, day);
    assert.equal(periodOf('month', at).id, day.slice(0, 7));
    assert.ok(periodOf('day', at).start <= at && at < periodOf('day', at).end);
  }
});

test('counter keys name scope, id and period', () => {
  assert.equal(counterKey('tenant', 'acme', periodOf('month', Date.UTC(2025, 0, 5))), 'tenant:acme:2025-01');
});

test('reservations round up to the nano-dollar, charges to the nearest, exact for whole numbers', () => {
  assert.equal(nanosCeil(0.011), 11_000_000);
  assert.equal(nanosCeil(0.0000000001), 1, 'a tiny cost still reserves one nano-dollar');
  assert.equal(nanosOf(0.018), 18_000_000);
  assert.equal(nanosOf(1e-10), 0);
  assert.equal(usdOf(nanosOf(12.345678912)), 12.345678912);
});
