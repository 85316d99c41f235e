/**
 * switchyard_budget_used_ratio: registered before any budget is used, one series per tenant and period kind, late
 * values of an earlier period ignored, and the series removed once its period is over (the budget resets).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { periodOf } from '../../src/budgets/period.js';
import { GatewayMetrics } from '../../src/observability/metrics.js';

const line = (tenant: string, period: string) => new RegExp(`^switchyard_budget_used_ratio\\{scope="tenant",tenant="${tenant}",period="${period}"\\} (\\S+)$`, 'm');
const value = (body: string, tenant: string, period: string) => {
  const match = line(tenant, period).exec(body);
  return match === null ? undefined : Number(match[1]);
};

test('the budget gauge is set per tenant and period, ignores an earlier period, and goes when its period ends', async () => {
  const metrics = new GatewayMetrics();
  let body = (await metrics.render()).body;
  assert.match(body, /^# TYPE switchyard_budget_used_ratio gauge$/m, 'registered before any budget is used');
  const now = Date.now();
  const today = periodOf('day', now);
  const yesterday = periodOf('day', now - 86_400_000);
  metrics.setTenantBudgetUsed('t1', today, 0.5);
  metrics.setTenantBudgetUsed('t1', periodOf('month', now), 0.25);
  metrics.setTenantBudgetUsed('t1', yesterday, 0.99);
  body = (await metrics.render()).body;
  assert.equal(value(body, 't1', 'day'), 0.5, 'a late value of yesterday does not replace today');
  assert.equal(value(body, 't1', 'month'), 0.25);
  metrics.setTenantBudgetUsed('t2', yesterday, 0.9);
  body = (await metrics.render()).body;
  assert.equal(value(body, 't2', 'day'), undefined, 'a series whose period is over is removed at the next scrape');
  assert.equal(value(body, 't1', 'day'), 0.5, 'the current period stays');
  metrics.setTenantBudgetUsed('t2', today, 0.1);
  assert.equal(value((await metrics.render()).body, 't2', 'day'), 0.1, 'the new period starts its own series');
});
