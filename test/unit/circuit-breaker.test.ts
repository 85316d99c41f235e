import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { circuitBreakerSchema } from '../../src/config/resilience-schema.js';
import {
  CircuitBreaker,
  circuitBreakerOptionsFromConfig,
  type BreakerState,
  type CircuitBreakerOptions,
  type TransitionReason,
} from '../../src/reliability/circuit-breaker.js';

const defaults = circuitBreakerOptionsFromConfig(circuitBreakerSchema.parse({}));

function setup(options: Partial<CircuitBreakerOptions> = {}) {
  const clock = { t: 0, now() { return this.t; } };
  const transitions: [BreakerState, BreakerState, TransitionReason, number][] = [];
  const breaker = new CircuitBreaker({ ...defaults, ...options }, clock, (from, to, reason) =>
    transitions.push([from, to, reason, clock.t]),
  );
  const fail = (n: number) => Array.from({ length: n }, () => breaker.onFailure());
  const succeed = (n: number) => Array.from({ length: n }, () => breaker.onSuccess());
  return { clock, breaker, transitions, fail, succeed };
}

describe('CircuitBreaker: opening', () => {
  test('the config defaults are 5 failures, 20% over 60 s from 20 requests, 30 s open, 3 probes, 10→25→50→100%', () => {
    const opening = { enabled: true, consecutiveFailures: 5, errorRate: 0.2, windowMs: 60_000, minRequests: 20 };
    const recovery = { openMs: 30_000, halfOpenProbes: 3, recoverySteps: [0.1, 0.25, 0.5, 1], recoveryStepMs: 10_000 };
    assert.deepEqual(defaults, { ...opening, ...recovery });
  });

  test('a new breaker is closed, lets requests through at full weight', () => {
    const { breaker } = setup();
    assert.deepEqual(breaker.allowRequest(), { allowed: true, probe: false });
    const fresh = { state: 'closed', since: 0, consecutiveFailures: 0, windowRequests: 0, windowFailures: 0, weight: 1, openedCount: 0 };
    assert.deepEqual(breaker.state(), fresh);
  });

  test('opens after 5 failures in a row and then refuses traffic', () => {
    const { breaker, transitions, fail } = setup();
    fail(4);
    assert.equal(breaker.state().state, 'closed');
    fail(1);
    assert.deepEqual(transitions, [['closed', 'open', 'consecutive_failures', 0]]);
    assert.deepEqual(breaker.allowRequest(), { allowed: false, probe: false });
    assert.equal(breaker.weight(), 0);
    assert.equal(breaker.state().openedCount, 1);
  });

  test('a success breaks the run of failures', () => {
    const { breaker, fail, succeed } = setup();
    fail(4);
    succeed(1);
    fail(4);
    assert.equal(breaker.state().state, 'closed');
    assert.equal(breaker.state().consecutiveFailures, 4);
  });

  test('opens when the error rate exceeds 20% once the window holds 20 requests', () => {
    const { breaker, transitions, fail, succeed } = setup();
    for (let i = 0; i < 9; i++) {
      fail(1);
      succeed(1);
    }
    fail(1);
    assert.equal(breaker.state().state, 'closed', '19 requests are too few to judge');
    succeed(1);
    assert.equal(breaker.state().state, 'closed', 'a success never opens');
    fail(1);
    assert.deepEqual(transitions, [['closed', 'open', 'error_rate', 0]]);
  });

  test('an error rate of exactly the threshold does not open', () => {
    const { breaker, fail, succeed } = setup();
    for (let i = 0; i < 4; i++) {
      succeed(4);
      fail(1);
    }
    assert.deepEqual(
      { state: breaker.state().state, requests: breaker.state().windowRequests, failures: breaker.state().windowFailures },
      { state: 'closed', requests: 20, failures: 4 },
    );
  });

  for (const [laterMs, expected] of [
    [30_000, 'open'],
    [61_000, 'closed'],
  ] as const) {
    test(`failures ${laterMs / 1000} s old ${expected === 'open' ? 'still count' : 'have left the window'}`, () => {
      const { clock, breaker, fail, succeed } = setup();
      for (let i = 0; i < 8; i++) {
        fail(1);
        succeed(1);
      }
      clock.t = laterMs;
      succeed(3);
      fail(1);
      assert.equal(breaker.state().state, expected);
    });
  }
});

describe('CircuitBreaker: half-open probes', () => {
  function opened(options: Partial<CircuitBreakerOptions> = {}) {
    const context = setup(options);
    context.fail(5);
    return context;
  }

  test('stays open for open_ms, then lets probes through', () => {
    const { clock, breaker } = opened();
    clock.t = 29_999;
    assert.equal(breaker.allowRequest().allowed, false);
    clock.t = 30_000;
    assert.deepEqual(breaker.allowRequest(), { allowed: true, probe: true });
  });

  test('the half-open state is dated when it was due, not when it was noticed', () => {
    const { clock, breaker, transitions } = opened();
    clock.t = 45_000;
    assert.equal(breaker.state().state, 'half_open');
    assert.equal(breaker.state().since, 30_000);
    assert.deepEqual(transitions.at(-1), ['open', 'half_open', 'open_elapsed', 45_000]);
  });

  test('at most half_open_probes probes are in flight; normal traffic weight stays 0', () => {
    const { clock, breaker } = opened();
    clock.t = 30_000;
    const probes = [breaker.allowRequest(), breaker.allowRequest(), breaker.allowRequest()];
    assert.ok(probes.every((probe) => probe.allowed && probe.probe));
    assert.deepEqual(breaker.allowRequest(), { allowed: false, probe: false });
    assert.equal(breaker.weight(), 0);
  });

  test('releasing a probe without a verdict frees its slot', () => {
    const { clock, breaker } = opened({ halfOpenProbes: 1 });
    clock.t = 30_000;
    const probe = breaker.allowRequest();
    assert.equal(breaker.allowRequest().allowed, false);
    breaker.release(probe);
    assert.equal(breaker.allowRequest().probe, true);
    assert.equal(breaker.state().state, 'half_open');
  });

  test('a probe success frees its slot for the next probe, until enough have succeeded', () => {
    const { clock, breaker } = opened({ halfOpenProbes: 2 });
    clock.t = 30_000;
    const first = breaker.allowRequest();
    breaker.onSuccess(first);
    const second = breaker.allowRequest();
    assert.equal(second.probe, true);
    assert.equal(breaker.allowRequest().allowed, false, 'only the successes still needed are let through');
    breaker.onSuccess(second);
    assert.equal(breaker.state().state, 'recovering');
  });

  test('a probe failure opens the breaker again for a fresh open period', () => {
    const { clock, breaker, transitions } = opened();
    clock.t = 31_000;
    const probe = breaker.allowRequest();
    breaker.onFailure(probe);
    assert.deepEqual(transitions.at(-1), ['half_open', 'open', 'probe_failed', 31_000]);
    assert.equal(breaker.state().openedCount, 2);
    clock.t = 60_999;
    assert.equal(breaker.allowRequest().allowed, false);
    clock.t = 61_000;
    assert.equal(breaker.allowRequest().probe, true);
  });

  test('a probe from an earlier half-open period neither counts nor frees a slot', () => {
    const { clock, breaker } = opened({ halfOpenProbes: 2 });
    clock.t = 30_000;
    const stale = breaker.allowRequest();
    breaker.onFailure(breaker.allowRequest());
    clock.t = 60_000;
    const probes = [breaker.allowRequest(), breaker.allowRequest()];
    breaker.onSuccess(stale);
    assert.equal(breaker.allowRequest().allowed, false);
    breaker.onSuccess(probes[0]);
    assert.equal(breaker.state().state, 'half_open');
    breaker.onSuccess(probes[1]);
    assert.equal(breaker.state().state, 'recovering');
  });

  test('outcomes of requests let through before the breaker opened are ignored', () => {
    const { clock, breaker, succeed, fail } = opened();
    succeed(10);
    fail(10);
    assert.equal(breaker.state().openedCount, 1);
    clock.t = 30_000;
    succeed(3);
    assert.equal(breaker.state().state, 'half_open');
    fail(1);
    assert.equal(breaker.state().state, 'half_open');
  });
});

describe('CircuitBreaker: gradual recovery (flapping deployment)', () => {
  test('opens, probes, recovers 10 → 25 → 50 → 100%, re-opens on a failure while recovering', () => {
    const { clock, breaker, transitions, fail, succeed } = setup();
    const probeAll = () => {
      const probes = [1, 2, 3].map(() => breaker.allowRequest());
      assert.ok(probes.every((probe) => probe.probe));
      for (const probe of probes) breaker.onSuccess(probe);
    };

    fail(5);
    clock.t = 30_000;
    probeAll();
    const weights: number[] = [];
    for (const t of [30_000, 39_999, 40_000, 50_000, 59_999, 60_000]) {
      clock.t = t;
      weights.push(breaker.weight());
      succeed(1);
    }
    assert.deepEqual(weights, [0.1, 0.1, 0.25, 0.5, 0.5, 1]);
    assert.equal(breaker.state().state, 'closed');

    clock.t = 100_000;
    fail(5);
    clock.t = 130_000;
    probeAll();
    clock.t = 141_000;
    assert.equal(breaker.weight(), 0.25);
    fail(1);
    assert.equal(breaker.weight(), 0);
    assert.equal(breaker.allowRequest().allowed, false);

    assert.deepEqual(transitions, [
      ['closed', 'open', 'consecutive_failures', 0],
      ['open', 'half_open', 'open_elapsed', 30_000],
      ['half_open', 'recovering', 'probes_succeeded', 30_000],
      ['recovering', 'closed', 'recovered', 60_000],
      ['closed', 'open', 'consecutive_failures', 100_000],
      ['open', 'half_open', 'open_elapsed', 130_000],
      ['half_open', 'recovering', 'probes_succeeded', 130_000],
      ['recovering', 'open', 'recovery_failed', 141_000],
    ]);
    assert.equal(breaker.state().openedCount, 3);
  });

  test('recovery that never names weight 1 closes after its last step', () => {
    const { clock, breaker, fail } = setup({ recoverySteps: [0.2, 0.6], halfOpenProbes: 1 });
    fail(5);
    clock.t = 30_000;
    breaker.onSuccess(breaker.allowRequest());
    assert.equal(breaker.weight(), 0.2);
    clock.t = 40_000;
    assert.equal(breaker.weight(), 0.6);
    clock.t = 50_000;
    assert.equal(breaker.state().state, 'closed');
    assert.equal(breaker.weight(), 1);
  });

  test('a closed breaker after recovery starts from a clean slate', () => {
    const { clock, breaker, fail } = setup({ halfOpenProbes: 1 });
    fail(5);
    clock.t = 30_000;
    breaker.onSuccess(breaker.allowRequest());
    clock.t = 60_000;
    const snapshot = breaker.state();
    assert.deepEqual([snapshot.state, snapshot.consecutiveFailures, snapshot.windowFailures], ['closed', 0, 0]);
    fail(4);
    assert.equal(breaker.state().state, 'closed');
  });
});

describe('CircuitBreaker: options', () => {
  test('a disabled breaker never opens', () => {
    const { breaker, fail } = setup({ enabled: false });
    fail(50);
    assert.deepEqual([breaker.state().state, breaker.weight(), breaker.allowRequest().allowed], ['closed', 1, true]);
  });

  test('disabling on reload closes an open breaker', () => {
    const { breaker, transitions, fail } = setup();
    fail(5);
    breaker.updateOptions({ ...defaults, enabled: false });
    assert.deepEqual(transitions.at(-1), ['open', 'closed', 'disabled', 0]);
    assert.equal(breaker.allowRequest().allowed, true);
  });

  test('a reload keeps the state and applies new timings to it', () => {
    const { clock, breaker, fail } = setup();
    fail(5);
    breaker.updateOptions({ ...defaults, openMs: 5_000 });
    assert.equal(breaker.state().state, 'open');
    clock.t = 5_000;
    assert.equal(breaker.state().state, 'half_open');
  });

  test('a reload keeps the run of failures counted so far', () => {
    const { breaker, fail } = setup();
    fail(3);
    breaker.updateOptions({ ...defaults, consecutiveFailures: 4 });
    fail(1);
    assert.equal(breaker.state().state, 'open');
  });
});
