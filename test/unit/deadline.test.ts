import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../src/core/errors.js';
import { attemptFirstByteTimeoutMs, resolveDeadlineMs, timeoutHeader } from '../../src/reliability/deadline.js';

describe('resolveDeadlineMs: x-switchyard-timeout-ms', () => {
  test('without the header the default applies', () => {
    assert.equal(resolveDeadlineMs(undefined, 60_000, 600_000), 60_000);
  });

  test('a default above the maximum is clamped too', () => {
    assert.equal(resolveDeadlineMs(undefined, 900_000, 600_000), 600_000);
  });

  test('a positive integer header sets the deadline, shorter or longer than the default', () => {
    assert.equal(resolveDeadlineMs('1500', 60_000, 600_000), 1500);
    assert.equal(resolveDeadlineMs('120000', 60_000, 600_000), 120_000);
    assert.equal(resolveDeadlineMs(' 250 ', 60_000, 600_000), 250);
    assert.equal(resolveDeadlineMs('1', 60_000, 600_000), 1);
  });

  test('a header above the maximum is clamped to the maximum, not refused', () => {
    assert.equal(resolveDeadlineMs('600001', 60_000, 600_000), 600_000);
    assert.equal(resolveDeadlineMs('99999999999999999999999', 60_000, 600_000), 600_000);
  });

  for (const bad of ['0', '000', '-5', '1.5', '1e3', 'abc', '', '  ', '10ms', '0x10', 'Infinity', 'NaN']) {
    test(`${JSON.stringify(bad)} is refused as invalid_request naming the header`, () => {
      assert.throws(
        () => resolveDeadlineMs(bad, 60_000, 600_000),
        (error: unknown) =>
          error instanceof GatewayError &&
          error.code === 'invalid_request' &&
          error.status === 400 &&
          error.param === timeoutHeader &&
          error.message.includes(timeoutHeader),
      );
    });
  }

  test('the header name is x-switchyard-timeout-ms', () => {
    assert.equal(timeoutHeader, 'x-switchyard-timeout-ms');
  });
});

describe('attemptFirstByteTimeoutMs: per attempt, within the deadline', () => {
  test('the configured limit applies while the deadline leaves more time', () => {
    assert.equal(attemptFirstByteTimeoutMs(30_000, 10_000), 10_000);
  });

  test('the remaining deadline wins when it is shorter', () => {
    assert.equal(attemptFirstByteTimeoutMs(4_000, 10_000), 4_000);
  });

  test('without a configured limit the attempt may use the whole remaining deadline', () => {
    assert.equal(attemptFirstByteTimeoutMs(25_000, undefined), 25_000);
  });

  test('a deadline already passed leaves 0, never a negative limit', () => {
    assert.equal(attemptFirstByteTimeoutMs(-300, 10_000), 0);
    assert.equal(attemptFirstByteTimeoutMs(-300, undefined), 0);
    assert.equal(attemptFirstByteTimeoutMs(0, 10_000), 0);
  });
});
