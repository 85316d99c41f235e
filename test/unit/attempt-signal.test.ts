import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../src/core/errors.js';
import { attemptSignal } from '../../src/reliability/attempt-signal.js';
import { FakeTime } from '../helpers/fake-time.js';

describe('attemptSignal', () => {
  test('without a limit it is the request signal itself', () => {
    const request = new AbortController();
    const guard = attemptSignal(request.signal, undefined, 'up');
    assert.equal(guard.signal, request.signal);
    assert.equal(guard.timeoutError(), undefined);
  });

  test('fires with a retryable upstream_timeout when no first byte arrived in time', async () => {
    const time = new FakeTime();
    const request = new AbortController();
    const guard = attemptSignal(request.signal, 300, 'up', time);
    await time.advance(299);
    assert.equal(guard.signal.aborted, false);
    await time.advance(1);
    assert.equal(guard.signal.aborted, true);
    const error = guard.timeoutError();
    assert.ok(error instanceof GatewayError);
    assert.equal(error.code, 'upstream_timeout');
    assert.equal(error.retryable, true);
    assert.match(error.message, /up sent no first byte within 300 ms/);
    assert.equal(request.signal.aborted, false, 'the request itself goes on');
  });

  test('the first byte disarms the limit; the request signal is still followed until disposed', async () => {
    const time = new FakeTime();
    const request = new AbortController();
    const guard = attemptSignal(request.signal, 300, 'up', time);
    guard.firstByte();
    await time.advance(1000);
    assert.equal(guard.signal.aborted, false);
    const reason = new Error('client left');
    request.abort(reason);
    assert.equal(guard.signal.aborted, true);
    assert.equal(guard.signal.reason, reason);
    assert.equal(guard.timeoutError(), undefined);
  });

  test('dispose stops the timer and stops following the request', async () => {
    const time = new FakeTime();
    const request = new AbortController();
    const guard = attemptSignal(request.signal, 300, 'up', time);
    guard.dispose();
    guard.dispose();
    assert.deepEqual(time.scheduled, []);
    request.abort();
    assert.equal(guard.signal.aborted, false);
  });
});
