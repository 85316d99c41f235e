import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SlidingCounts } from '../../src/reliability/sliding-window.js';

describe('SlidingCounts: counters over a ring of 10 buckets', () => {
  test('counts each key separately within the window', () => {
    const counts = new SlidingCounts(10_000, ['requests', 'failures']);
    counts.add('requests', 0);
    counts.add('requests', 500);
    counts.add('failures', 500, 3);
    assert.deepEqual(counts.totals(900), { requests: 2, failures: 3 });
  });

  test('a bucket leaves the window once the window has passed its start', () => {
    const counts = new SlidingCounts(10_000, ['requests']);
    counts.add('requests', 0);
    counts.add('requests', 4_200);
    assert.equal(counts.totals(9_999).requests, 2);
    assert.equal(counts.totals(10_000).requests, 1);
    assert.equal(counts.totals(13_999).requests, 1);
    assert.equal(counts.totals(14_000).requests, 0);
  });

  test('a reused slot starts from zero after the ring wraps around', () => {
    const counts = new SlidingCounts(10_000, ['requests']);
    counts.add('requests', 1_000, 5);
    counts.add('requests', 11_000);
    assert.equal(counts.totals(11_000).requests, 1);
  });

  test('a long silence empties the window', () => {
    const counts = new SlidingCounts(1_000, ['requests']);
    for (let t = 0; t < 1_000; t += 10) counts.add('requests', t);
    assert.equal(counts.totals(999).requests, 100);
    assert.equal(counts.totals(1_000_000).requests, 0);
  });

  test('resizing keeps what the window holds, expiring it one new window later', () => {
    const counts = new SlidingCounts(10_000, ['requests']);
    counts.add('requests', 2_000, 7);
    counts.resize(20_000, 5_000);
    assert.equal(counts.windowMs, 20_000);
    assert.equal(counts.totals(5_000).requests, 7);
    assert.equal(counts.totals(23_999).requests, 7);
    assert.equal(counts.totals(26_000).requests, 0);
  });

  test('clear forgets everything', () => {
    const counts = new SlidingCounts(10_000, ['requests']);
    counts.add('requests', 100, 4);
    counts.clear();
    assert.equal(counts.totals(100).requests, 0);
  });

  test('a window must be positive', () => {
    assert.throws(() => new SlidingCounts(0, ['requests']), RangeError);
  });
});
