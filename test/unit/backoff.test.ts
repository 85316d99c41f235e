import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { retrySchema } from '../../src/config/resilience-schema.js';
import { GatewayError } from '../../src/core/errors.js';
import { backoffDelayMs, backoffPolicyFromConfig, retryDelayMs } from '../../src/reliability/backoff.js';

const policy = { baseDelayMs: 100, maxDelayMs: 4000 };
const half = () => 0.5;

describe('backoffDelayMs: full-jitter exponential backoff', () => {
  test('the ceiling starts at the base delay and doubles with each retry', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((retry) => backoffDelayMs(retry, policy, half)),
      [50, 100, 200, 400, 800],
    );
  });

  test('the ceiling stops at the max delay, however many retries', () => {
    assert.equal(backoffDelayMs(6, policy, half), 1600);
    assert.equal(backoffDelayMs(7, policy, half), 2000);
    assert.equal(backoffDelayMs(30, policy, half), 2000);
    assert.equal(backoffDelayMs(5000, policy, half), 2000);
  });

  test('the jitter spreads the delay over the whole range [0, ceiling)', () => {
    assert.equal(backoffDelayMs(3, policy, () => 0), 0);
    assert.equal(backoffDelayMs(3, policy, () => 0.25), 100);
    assert.ok(backoffDelayMs(3, policy, () => 0.999_999) < 400);
    assert.ok(backoffDelayMs(3, policy, () => 0.999_999) > 399);
  });

  test('a zero base or max delay means no wait, even for absurd retry counts', () => {
    assert.equal(backoffDelayMs(5000, { baseDelayMs: 0, maxDelayMs: 4000 }, half), 0);
    assert.equal(backoffDelayMs(3, { baseDelayMs: 100, maxDelayMs: 0 }, half), 0);
  });

  test('retry numbers start at 1 and are whole', () => {
    assert.throws(() => backoffDelayMs(0, policy, half), RangeError);
    assert.throws(() => backoffDelayMs(1.5, policy, half), RangeError);
  });

  test('the config defaults are base 100 ms and max 4 s', () => {
    assert.deepEqual(backoffPolicyFromConfig(retrySchema.parse({})), { baseDelayMs: 100, maxDelayMs: 4000 });
  });
});

describe('retryDelayMs: the upstream retry-after wins over backoff', () => {
  const rateLimited = (retryAfterSeconds?: number) =>
    new GatewayError('upstream_rate_limited', 'slow down', { retryable: true, retryAfterSeconds });

  test('a retry-after is used exactly, without jitter', () => {
    let drawn = 0;
    const random = () => {
      drawn += 1;
      return 0.5;
    };
    assert.equal(retryDelayMs(rateLimited(2), 1, policy, random), 2000);
    assert.equal(retryDelayMs(rateLimited(0.25), 3, policy, random), 250);
    assert.equal(drawn, 0);
  });

  test('a retry-after longer than the max delay is still honoured', () => {
    assert.equal(retryDelayMs(rateLimited(30), 1, policy, half), 30_000);
  });

  test('a retry-after of zero means retry at once', () => {
    assert.equal(retryDelayMs(rateLimited(0), 4, policy, half), 0);
  });

  test('without a retry-after the delay is the jittered backoff', () => {
    assert.equal(retryDelayMs(rateLimited(), 3, policy, half), 200);
    assert.equal(retryDelayMs(new GatewayError('upstream_error', 'boom', { retryable: true }), 1, policy, () => 0.2), 20);
  });
});
