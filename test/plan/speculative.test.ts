import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bestDraftLength, expectedTokensPerRound, speculativeSpeedup } from '../../src/plan/speculative.js';

describe('speculative decoding', () => {
  test('expected tokens per round = (1 − α^(k+1)) / (1 − α)', () => {
    assert.equal(expectedTokensPerRound(4, 0.5), (1 - 0.5 ** 5) / 0.5);
    assert.ok(Math.abs(expectedTokensPerRound(4, 0.8) - 3.3616) < 1e-12);
  });

  test('no acceptance yields the target’s own token; full acceptance yields k + 1', () => {
    assert.equal(expectedTokensPerRound(5, 0), 1);
    assert.equal(expectedTokensPerRound(5, 1), 6);
  });

  test('speed-up divides the tokens per round by the round’s cost: k draft steps plus one target step', () => {
    assert.equal(speculativeSpeedup(4, 0.5, 0.1), ((1 - 0.5 ** 5) / 0.5) / 1.4);
    assert.equal(speculativeSpeedup(3, 1, 0), 4);
  });

  test('an expensive draft or a poor acceptance rate makes speculation slower than plain decoding', () => {
    assert.ok(speculativeSpeedup(4, 0.3, 0.5) < 1);
  });

  test('the best draft length grows with the acceptance rate', () => {
    const low = bestDraftLength(0.5, 0.05);
    const high = bestDraftLength(0.9, 0.05);
    assert.ok(high.draftTokens > low.draftTokens);
    assert.equal(high.speedup, speculativeSpeedup(high.draftTokens, 0.9, 0.05));
  });

  test('rejects impossible inputs', () => {
    assert.throws(() => expectedTokensPerRound(-1, 0.5), RangeError);
    assert.throws(() => expectedTokensPerRound(2, 1.5), RangeError);
    assert.throws(() => speculativeSpeedup(2, 0.5, -1), RangeError);
  });
});
