import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { retrySchema } from '../../src/config/resilience-schema.js';
import { RetryBudget, RetryBudgets, retryBudgetOptionsFromConfig } from '../../src/reliability/retry-budget.js';

const defaults = retryBudgetOptionsFromConfig(retrySchema.parse({}));
const manualClock = () => ({ t: 0, now() { return this.t; } });

function acquireAll(budget: RetryBudget, limit = 10_000): number {
  let granted = 0;
  while (granted < limit && budget.tryAcquireRetry()) granted += 1;
  return granted;
}

describe('RetryBudget: retries ≤ ratio × requests over the window, with a floor per second', () => {
  test('the config defaults are 20%, 3 per second, over 10 s', () => {
    assert.deepEqual(defaults, { ratio: 0.2, minPerSecond: 3, windowMs: 10_000 });
  });

  test('an idle deployment may still retry 3 per second of window (30 in 10 s), no more', () => {
    const budget = new RetryBudget(defaults, manualClock());
    assert.equal(acquireAll(budget), 30);
    assert.equal(budget.tryAcquireRetry(), false);
  });

  test('at 100 requests/s with ratio 0.2 about 20 retries/s are allowed and the rest refused', () => {
    const clock = manualClock();
    const budget = new RetryBudget(defaults, clock);
    const grantedPerSecond: number[] = [];
    let refused = 0;
    for (let second = 0; second < 60; second++) {
      let granted = 0;
      for (let tick = 0; tick < 100; tick++) {
        clock.t = second * 1000 + tick * 10;
        budget.recordRequest();
        // Every other request fails and wants a retry: 50 retries/s asked for.
        if (tick % 2 === 0) {
          if (budget.tryAcquireRetry()) granted += 1;
          else refused += 1;
        }
      }
      grantedPerSecond.push(granted);
    }
    const steady = grantedPerSecond.slice(20);
    const total = steady.reduce((sum, n) => sum + n, 0);
    assert.ok(Math.abs(total / steady.length - 20) <= 1, `mean ${total / steady.length} retries/s`);
    // Over any 10 s (one window) the retries stay within 20% of the 1000 requests made in it.
    for (let start = 10; start + 10 <= 60; start++) {
      const inWindow = grantedPerSecond.slice(start, start + 10).reduce((sum, n) => sum + n, 0);
      assert.ok(inWindow >= 190 && inWindow <= 200, `${inWindow} retries in seconds ${start}-${start + 9}`);
    }
    assert.ok(refused > 60 * 25, `${refused} refused`);
  });

  test('a burst of requests raises the allowance to 20% of them', () => {
    const budget = new RetryBudget(defaults, manualClock());
    for (let i = 0; i < 1000; i++) budget.recordRequest();
    assert.equal(acquireAll(budget), 200);
  });

  test('the window slides: spent retries come back once their bucket leaves the window', () => {
    const clock = manualClock();
    const budget = new RetryBudget(defaults, clock);
    assert.equal(acquireAll(budget), 30);
    clock.t = 5_000;
    assert.equal(budget.tryAcquireRetry(), false);
    clock.t = 9_999;
    assert.equal(budget.tryAcquireRetry(), false);
    clock.t = 10_000;
    assert.equal(acquireAll(budget), 30);
  });

  test('old requests stop counting towards the allowance', () => {
    const clock = manualClock();
    const budget = new RetryBudget(defaults, clock);
    for (let i = 0; i < 1000; i++) budget.recordRequest();
    clock.t = 10_000;
    assert.equal(acquireAll(budget), 30);
  });

  test('new options apply on reload without forgetting the retries already made', () => {
    const clock = manualClock();
    const budget = new RetryBudget(defaults, clock);
    assert.equal(acquireAll(budget), 30);
    budget.updateOptions({ ...defaults, ratio: 0.5 });
    assert.equal(budget.tryAcquireRetry(), false);
    budget.updateOptions({ ...defaults, minPerSecond: 6 });
    assert.equal(acquireAll(budget), 30);
    budget.updateOptions({ ratio: 0.2, minPerSecond: 3, windowMs: 20_000 });
    assert.equal(acquireAll(budget), 0);
    clock.t = 19_000;
    assert.equal(budget.tryAcquireRetry(), false);
    clock.t = 20_000;
    assert.equal(acquireAll(budget), 60);
  });

  test('a zero floor and ratio allow no retry at all', () => {
    const budget = new RetryBudget({ ratio: 0, minPerSecond: 0, windowMs: 10_000 }, manualClock());
    for (let i = 0; i < 100; i++) budget.recordRequest();
    assert.equal(budget.tryAcquireRetry(), false);
  });

  test('the snapshot shows requests, retries and what is left', () => {
    const budget = new RetryBudget(defaults, manualClock());
    for (let i = 0; i < 500; i++) budget.recordRequest();
    for (let i = 0; i < 40; i++) budget.tryAcquireRetry();
    assert.deepEqual(budget.snapshot(), { requests: 500, retries: 40, available: 60 });
  });
});

describe('RetryBudgets: one budget per deployment', () => {
  test('each deployment has its own budget, the same one on every lookup', () => {
    const budgets = new RetryBudgets(defaults, manualClock());
    assert.equal(budgets.get('a'), budgets.get('a'));
    assert.equal(acquireAll(budgets.get('a')), 30);
    assert.equal(budgets.get('b').tryAcquireRetry(), true);
  });

  test('a reload updates existing budgets in place and applies to new ones', () => {
    const budgets = new RetryBudgets(defaults, manualClock());
    const a = budgets.get('a');
    assert.equal(acquireAll(a), 30);
    budgets.updateOptions({ ...defaults, minPerSecond: 5 });
    assert.equal(budgets.get('a'), a);
    assert.equal(acquireAll(a), 20);
    assert.equal(acquireAll(budgets.get('b')), 50);
  });

  test('retainOnly forgets deployments that left the config', () => {
    const budgets = new RetryBudgets(defaults, manualClock());
    acquireAll(budgets.get('a'));
    budgets.get('b');
    budgets.retainOnly(['b']);
    assert.deepEqual(Object.keys(budgets.snapshot()), ['b']);
    assert.equal(acquireAll(budgets.get('a')), 30);
  });
});
