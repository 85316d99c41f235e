/** The sliding-window log: pure maths, no clock. Window boundaries, retry-after, reserve / reconcile, the ring. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SlidingLog } from '../../src/limits/sliding-window.js';

/** Checks `cost` at `now` and charges it when it fits, as the limiters do. */
function take(log: SlidingLog, now: number, limit: number, cost = 1, sequence = now) {
  log.expire(now);
  const decision = log.decide(now, limit, cost);
  if (decision.allowed) log.append(now, cost, sequence);
  return decision;
}

describe('SlidingLog', () => {
  test('a charge at t counts until t + 60 s, exclusive', () => {
    const log = new SlidingLog(1);
    assert.equal(take(log, 0, 1).allowed, true);
    assert.deepEqual(take(log, 59_999, 1), { allowed: false, limit: 1, remaining: 0, resetMs: 1, retryAfterMs: 1 });
    assert.deepEqual(take(log, 60_000, 1), { allowed: true, limit: 1, remaining: 0, resetMs: 60_000, retryAfterMs: 0 });
  });

  test('never more than the limit in any trailing minute, however the requests are spread', () => {
    const log = new SlidingLog(4);
    const admitted: number[] = [];
    for (let now = 0; now < 300_000; now += 700) if (take(log, now, 4).allowed) admitted.push(now);
    for (const at of admitted) {
      const inWindow = admitted.filter((other) => other > at - 60_000 && other <= at).length;
      assert.ok(inWindow <= 4, `the minute ending at ${at} holds ${inWindow}`);
    }
    assert.equal(admitted.length, 20, `four per minute over five minutes (got ${admitted.join(', ')})`);
  });

  test('retry-after is when the oldest charges holding the excess have left', () => {
    const log = new SlidingLog(3);
    take(log, 0, 3);
    take(log, 10_000, 3);
    take(log, 20_000, 3);
    assert.equal(take(log, 30_000, 3).retryAfterMs, 30_000, 'one more: the charge at 0 leaves at 60 s');
    assert.equal(take(log, 30_000, 3, 2).retryAfterMs, 40_000, 'two more: the one at 10 s must leave too');
    assert.equal(take(log, 30_000, 3, 3).retryAfterMs, 50_000, 'three more: all of them');
    assert.equal(take(log, 30_000, 3, 4).retryAfterMs, 50_000, 'more than the limit never fits: until it is empty');
    assert.equal(take(log, 30_000, 3).resetMs, 50_000, 'reset: when the newest leaves');
  });

  test('an empty log: the whole limit, nothing to wait for', () => {
    const log = new SlidingLog(10);
    assert.deepEqual(log.decide(5, 10, 0), { allowed: true, limit: 10, remaining: 10, resetMs: 0, retryAfterMs: 0 });
    assert.equal(log.idle(5), true);
  });

  test('token reservations: adjusted up or down in place, given back in full leaves no entry', () => {
    const log = new SlidingLog(1000);
    take(log, 0, 1000, 600, 1);
    take(log, 10_000, 1000, 300, 2);
    assert.equal(log.adjust(1, -550), true);
    assert.equal(log.used, 350);
    assert.equal(log.adjust(2, 200), true);
    assert.equal(log.used, 550);
    assert.equal(take(log, 20_000, 1000, 500).retryAfterMs, 40_000, 'the 50 left of the first frees enough');
    assert.equal(log.adjust(1, -1000), true);
    assert.equal(log.used, 500, 'never gives back more than the charge held');
    assert.equal(log.adjust(1, 10), false, 'a charge given back in full is gone');
    log.expire(70_000);
    assert.equal(log.used, 0, 'the adjusted second charge left when it would have');
    assert.equal(log.adjust(2, 5), false, 'so did its name');
  });

  test('the ring wraps and grows past the limit only for adjustments that do not refuse', () => {
    const log = new SlidingLog(3);
    for (let round = 0; round < 50; round += 1) {
      for (let i = 0; i < 3; i++) assert.equal(take(log, round * 60_000, 3, 1, round * 3 + i).allowed, true, `round ${round}, ${i}`);
      assert.equal(take(log, round * 60_000 + 1, 3).allowed, false, `round ${round} is full`);
    }
    log.expire(50 * 60_000);
    for (let i = 0; i < 5; i++) log.append(50 * 60_000, 2, 1000 + i);
    assert.equal(log.used, 10);
    assert.equal(log.adjust(1002, -2), true, 'found by binary search after growing');
    assert.equal(log.adjust(1003, 1), true);
    log.expire(50 * 60_000);
    assert.equal(log.used, 9);
    assert.equal(log.idle(51 * 60_000), true);
  });
});
