/**
 * `switchyard usage`, `switchyard spend` and `switchyard prices`: read-only reports from the admin API — spend
 * and tokens per day, tenant, key and model (`GET /admin/usage`, or one tenant's with --tenant), where a tenant's
 * and its keys' budgets stand in the current period (`GET /admin/tenants/{id}/spend`), and the versioned price
 * table (`GET /admin/prices`).
 */
import { adminRequest, usageError } from './client.js';
import { singleCommand, stringFlag } from './command.js';
import { json, table, type Row } from './output.js';

/** A list body (`{data: [...]}`) or a bare array, as rows. */
function rowsOf(body: unknown): Row[] {
  if (Array.isArray(body)) return body as Row[];
  const data = (body as { data?: unknown } | null)?.data;
  return Array.isArray(data) ? (data as Row[]) : [];
}

export const usageColumns = ['day', 'tenant_id', 'key_id', 'model', 'requests', 'input_tokens', 'output_tokens', 'cost_usd'] as const;
export const priceColumns = ['model', 'provider', 'input', 'cached_input', 'output', 'per_request', 'effective_from', 'effective_to'] as const;

export const usageCommand = singleCommand('usage', {
  synopsis: '[--tenant TENANT_ID] [--from YYYY-MM-DD] [--to YYYY-MM-DD]',
  summary: 'requests, tokens and cost per day, tenant, key and model (a tenant admin key: its own tenant, with --tenant)',
  options: { tenant: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } },
  async run({ conn, values, json: asJson }) {
    const tenant = stringFlag(values, 'tenant');
    const query = new URLSearchParams(
      Object.entries({ from: stringFlag(values, 'from'), to: stringFlag(values, 'to') }).filter((entry): entry is [string, string] => entry[1] !== undefined),
    ).toString();
    const path = tenant === undefined ? '/admin/usage' : `/admin/tenants/${encodeURIComponent(tenant)}/usage`;
    const body = await adminRequest(conn, 'GET', query === '' ? path : `${path}?${query}`);
    return asJson ? json(body) : table(rowsOf(body), usageColumns);
  },
});

export const spendColumns = ['scope', 'id', 'name', 'budget_usd', 'period', 'spent_usd', 'reserved_usd', 'remaining_usd', 'resets_at', 'on_exhausted'] as const;

interface Standing {
  budget: { amount_usd: number; on_exhausted?: string; downgrade_to?: string };
  period: string;
  resets_at: string;
  spent_usd: number;
  reserved_usd: number;
  remaining_usd: number;
}

/** One table row per budget holder: the tenant, then each key (a holder without a budget shows dashes). */
function spendRows(body: unknown): Row[] {
  const spend = body as { tenant_id: string; budget: Standing | null; keys?: { key_id: string; name: string; budget: Standing | null }[] };
  const row = (scope: string, id: string, name: string | null, standing: Standing | null): Row =>
    standing === null
      ? { scope, id, name }
      : {
          scope,
          id,
          name,
          budget_usd: standing.budget.amount_usd,
          period: standing.period,
          spent_usd: standing.spent_usd,
          reserved_usd: standing.reserved_usd,
          remaining_usd: standing.remaining_usd,
          resets_at: standing.resets_at,
          on_exhausted: standing.budget.downgrade_to === undefined ? (standing.budget.on_exhausted ?? 'block') : `downgrade to ${standing.budget.downgrade_to}`,
        };
  return [row('tenant', spend.tenant_id, null, spend.budget), ...(spend.keys ?? []).map((key) => row('key', key.key_id, key.name, key.budget))];
}

export const spendCommand = singleCommand('spend', {
  synopsis: '--tenant TENANT_ID',
  summary: "where the tenant's budget and each of its keys' budgets stand now: spent, reserved by requests in flight, remaining, reset time",
  options: { tenant: { type: 'string' } },
  async run({ conn, values, json: asJson }) {
    const tenant = stringFlag(values, 'tenant');
    if (tenant === undefined) throw usageError('--tenant is required');
    const body = await adminRequest(conn, 'GET', `/admin/tenants/${encodeURIComponent(tenant)}/spend`);
    return asJson ? json(body) : table(spendRows(body), spendColumns);
  },
});

export const pricesCommand = singleCommand('prices', {
  synopsis: '',
  summary: 'the price table: USD per million input, cached input and output tokens, and per request, with effective dates',
  async run({ conn, json: asJson }) {
    const body = await adminRequest(conn, 'GET', '/admin/prices');
    return asJson ? json(body) : table(rowsOf(body), priceColumns);
  },
});
