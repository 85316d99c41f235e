import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../src/core/errors.js';
import { upstreamError } from '../../src/core/upstream-errors.js';
import { countsAsFailure } from '../../src/reliability/circuit-breaker.js';

describe('countsAsFailure: what the breaker holds against a deployment', () => {
  for (const status of [500, 502, 503, 504, 529, 429, 408, 409, 401, 404]) {
    test(`an upstream ${status} counts`, () => {
      assert.equal(countsAsFailure(upstreamError('p', { status, message: 'x' })), true);
    });
  }
  for (const code of ['upstream_timeout', 'upstream_unavailable', 'upstream_bad_response'] as const) {
    test(`${code} (timeouts, connection failures, bad responses) counts`, () => {
      assert.equal(countsAsFailure(new GatewayError(code, 'x', { retryable: true })), true);
    });
  }
  for (const status of [400, 413, 422]) {
    test(`an upstream ${status} (the caller's request) does not count`, () => {
      assert.equal(countsAsFailure(upstreamError('p', { status, message: 'x' })), false);
    });
  }
  for (const kind of ['context_length_exceeded', 'content_filtered'] as const) {
    test(`${kind} does not count`, () => {
      assert.equal(countsAsFailure(upstreamError('p', { status: 400, message: 'x', kind })), false);
    });
  }
  for (const code of ['invalid_request', 'invalid_api_key', 'model_not_allowed', 'rate_limited', 'client_closed'] as const) {
    test(`the gateway's own ${code} does not count`, () => {
      assert.equal(countsAsFailure(new GatewayError(code, 'x')), false);
    });
  }
});
