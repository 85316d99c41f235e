/**
 * `switchyard usage` and `switchyard prices`: read-only reports from the admin API — spend and tokens per day,
 * tenant, key and model (`GET /admin/usage`, or one tenant's with --tenant), and the versioned price table
 * (`GET /admin/prices`).
 */
import { adminRequest } from './client.js';
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

export const pricesCommand = singleCommand('prices', {
  synopsis: '',
  summary: 'the price table: USD per million input, cached input and output tokens, and per request, with effective dates',
  async run({ conn, json: asJson }) {
    const body = await adminRequest(conn, 'GET', '/admin/prices');
    return asJson ? json(body) : table(rowsOf(body), priceColumns);
  },
});
