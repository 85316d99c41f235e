/**
 * What a budget alert says, as a webhook body: the JSON object (`format: json`) or a Slack-compatible message
 * (`format: slack`: `text` plus Block Kit `blocks`, which Slack, Mattermost and most chat webhooks accept).
 */
import type { BudgetAlert } from '../stages/budget.js';

export interface AlertBody {
  type: 'budget.threshold';
  tenant_id: string;
  key_id: string | null;
  budget: { scope: 'key' | 'tenant'; amount_usd: number; period: 'day' | 'month'; on_exhausted: 'block' | 'downgrade' };
  spent_usd: number;
  threshold_percent: number;
  period: { id: string; start: string; end: string };
}

export function alertBody(alert: BudgetAlert): AlertBody {
  return {
    type: 'budget.threshold',
    tenant_id: alert.tenantId,
    key_id: alert.keyId ?? null,
    budget: { scope: alert.scope, amount_usd: alert.budget.amount_usd, period: alert.budget.period, on_exhausted: alert.budget.on_exhausted ?? 'block' },
    spent_usd: Math.round(alert.spentUsd * 1e6) / 1e6,
    threshold_percent: alert.threshold,
    period: { id: alert.period.id, start: new Date(alert.period.start).toISOString(), end: new Date(alert.period.end).toISOString() },
  };
}

export function slackBody(alert: AlertBody): { text: string; blocks: unknown[] } {
  const who = alert.budget.scope === 'key' ? `key \`${alert.key_id}\` of tenant \`${alert.tenant_id}\`` : `tenant \`${alert.tenant_id}\``;
  const what = alert.threshold_percent >= 100 ? 'is used up' : `reached ${alert.threshold_percent}%`;
  const text = `Budget alert: the ${alert.budget.period === 'day' ? 'daily' : 'monthly'} budget of ${who} ${what}: $${alert.spent_usd.toFixed(2)} of $${alert.budget.amount_usd.toFixed(2)} spent in ${alert.period.id}.`;
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `:warning: ${text}` } },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `At 100%: ${alert.budget.on_exhausted}. The period resets at ${alert.period.end}.` }],
      },
    ],
  };
}
