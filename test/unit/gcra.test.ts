/** The GCRA step and the OpenAI-style reset duration: pure maths, no clock. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gcra } from '../../src/limits/gcra.js';
import { formatResetDuration, rateLimitHeaders } from '../../src/limits/headers.js';

function run(limit: number, times: number[], cost = 1) {
  let tat: number | undefined;
  return times.map((now) => {
    const step = gcra(tat, now, limit, cost);
    tat = step.tat;
    return step.decision;
  });
}

describe('gcra', () => {
  test('a full limit lets `limit` requests through at once, then refuses with the wait for one more', () => {
    const decisions = run(3, [0, 0, 0, 0]);
    assert.deepEqual(decisions.map((d) => d.allowed), [true, true, true, false]);
    assert.deepEqual(decisions.map((d) => d.remaining), [2, 1, 0, 0]);
    assert.deepEqual(decisions.map((d) => d.resetMs), [20_000, 40_000, 60_000, 60_000]);
    assert.deepEqual(decisions.map((d) => d.retryAfterMs), [0, 0, 0, 20_000]);
  });

  test('after the burst, one request per period/limit', () => {
    const decisions = run(3, [0, 0, 0, 19_999, 20_000, 20_001, 40_000]);
    assert.deepEqual(decisions.map((d) => d.allowed), [true, true, true, false, true, false, true]);
    assert.equal(decisions[3]!.retryAfterMs, 1);
    assert.equal(decisions[5]!.retryAfterMs, 19_999);
  });

  test('an idle minute restores the whole limit', () => {
    const decisions = run(2, [0, 0, 60_000, 60_000, 60_000]);
    assert.deepEqual(decisions.map((d) => d.allowed), [true, true, true, true, false]);
  });

  test('a refusal does not use up anything', () => {
    const first = gcra(undefined, 0, 1, 1);
    const refused = gcra(first.tat, 0, 1, 1);
    assert.equal(refused.decision.allowed, false);
    assert.equal(refused.tat, first.tat);
  });

  test('costs above 1 take that many, and intervals that are not whole ms keep exact counts', () => {
    assert.deepEqual(run(10, [0, 0, 0], 4).map((d) => [d.allowed, d.remaining]), [[true, 6], [true, 2], [false, 2]]);
    const sevens = run(7, Array.from({ length: 8 }, () => 0));
    assert.deepEqual(sevens.map((d) => d.remaining), [6, 5, 4, 3, 2, 1, 0, 0]);
    assert.equal(sevens[7]!.allowed, false);
  });
});

describe('x-ratelimit headers', () => {
  test('reset durations read like OpenAI\'s', () => {
    assert.equal(formatResetDuration(17), '17ms');
    assert.equal(formatResetDuration(0.2), '1ms');
    assert.equal(formatResetDuration(1000), '1s');
    assert.equal(formatResetDuration(8640), '8.64s');
    assert.equal(formatResetDuration(360_000), '6m0s');
    assert.equal(formatResetDuration(3_723_000), '1h2m3s');
  });

  test('limit, remaining and reset of each kind that applied', () => {
    assert.deepEqual(rateLimitHeaders({ requests: { allowed: true, limit: 60, remaining: 59, resetMs: 1000, retryAfterMs: 0 } }), {
      'x-ratelimit-limit-requests': '60',
      'x-ratelimit-remaining-requests': '59',
      'x-ratelimit-reset-requests': '1s',
    });
    const tokens = rateLimitHeaders({ tokens: { allowed: true, limit: 150_000, remaining: 149_984, resetMs: 6.4, retryAfterMs: 0 } });
    assert.deepEqual(tokens, {
      'x-ratelimit-limit-tokens': '150000',
      'x-ratelimit-remaining-tokens': '149984',
      'x-ratelimit-reset-tokens': '7ms',
    });
  });
});
