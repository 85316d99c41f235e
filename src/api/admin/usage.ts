/**
 * Money over HTTP (DESIGN.md §6): spend rollups per day, tenant, key and model (one tenant's, or every tenant's
 * for the master key), where a tenant's budgets stand in the current period (spent, reserved by requests in
 * flight, the budget), and the effective price table with its dates.
 */
import { z } from 'zod';
import { shippedPriceRows } from '../../core/prices/index.js';
import type { PriceRow } from '../../core/price-schedule.js';
import { GatewayError } from '../../core/errors.js';
import type { BudgetStanding } from '../../budgets/budgets.js';
import { nanosOf, usdOf } from '../../budgets/period.js';
import { spendDimensions, type SpendDimension, type SpendQuery, type SpendRollup } from '../../stores/spend.js';
import { tenantNotFound } from './access.js';
import { defineAdminRoute, type AdminServices } from './registry.js';
import { budgetWireSchema, tenantParamsSchema } from './resources.js';
import { fromStore, requireStores } from './store-errors.js';

const groupBySchema = (allowed: readonly SpendDimension[]) =>
  z
    .string()
    .transform((value, ctx) => {
      const parts = value.split(',').map((part) => part.trim()).filter((part) => part !== '');
      for (const part of parts) {
        if (!(allowed as readonly string[]).includes(part)) {
          ctx.addIssue({ code: 'custom', message: `group_by takes ${allowed.join(', ')} (comma-separated), got "${part}"` });
          return z.NEVER;
        }
      }
      return parts as SpendDimension[];
    })
    .optional()
    .describe(`Columns to group by, comma-separated (${allowed.join(', ')}); default all. Others come back null.`);

const rangeFields = {
  from: z.iso.date().optional().describe('First UTC day included (YYYY-MM-DD).'),
  to: z.iso.date().optional().describe('Last UTC day included (YYYY-MM-DD).'),
};

const checkRange = (query: { from?: string; to?: string }, ctx: z.RefinementCtx) => {
  if (query.from !== undefined && query.to !== undefined && query.from > query.to) ctx.addIssue({ code: 'custom', path: ['to'], message: 'to is before from' });
};

const tenantUsageQuery = z.object({ ...rangeFields, group_by: groupBySchema(['day', 'key', 'model']) }).superRefine(checkRange);
const allUsageQuery = z.object({ ...rangeFields, group_by: groupBySchema(spendDimensions) }).superRefine(checkRange);

const usageRowSchema = z
  .object({
    day: z.string().nullable(),
    tenant_id: z.string().nullable(),
    key_id: z.string().nullable(),
    model: z.string().nullable(),
    requests: z.number().int(),
    input_tokens: z.number().int(),
    output_tokens: z.number().int(),
    cost_usd: z.number(),
  })
  .meta({ id: 'UsageRow' });
const usageListSchema = z.object({ object: z.literal('list'), data: z.array(usageRowSchema) }).meta({ id: 'UsageList' });

const standingSchema = z
  .object({
    budget: budgetWireSchema,
    period: z.string().describe('2025-06-14 (day) or 2025-06 (month), UTC.'),
    resets_at: z.string(),
    spent_usd: z.number(),
    reserved_usd: z.number().describe('Held by requests in flight.'),
    remaining_usd: z.number(),
  })
  .meta({ id: 'BudgetStanding' });
const spendSchema = z
  .object({
    tenant_id: z.string(),
    budget: standingSchema.nullable(),
    keys: z.array(z.object({ key_id: z.string(), name: z.string(), budget: standingSchema.nullable() })),
  })
  .meta({ id: 'TenantSpend' });

const priceRowSchema = z
  .object({
    model: z.string(),
    provider: z.string().nullable().describe('Configured provider name, a shipped list (openai, anthropic, gemini), or null for every provider.'),
    source: z.enum(['config', 'list']),
    input: z.number(),
    cached_input: z.number().nullable(),
    cache_write: z.number().nullable(),
    output: z.number(),
    per_request: z.number().nullable(),
    effective_from: z.string().nullable(),
    effective_to: z.string().nullable(),
  })
  .meta({ id: 'PriceRow' });
const priceListSchema = z.object({ object: z.literal('list'), data: z.array(priceRowSchema) }).meta({ id: 'PriceList' });

const usageWire = (row: SpendRollup) => ({
  day: row.day,
  tenant_id: row.tenantId,
  key_id: row.keyId,
  model: row.model,
  requests: row.requests,
  input_tokens: row.inputTokens,
  output_tokens: row.outputTokens,
  cost_usd: row.costUsd,
});

const standingWire = (standing: BudgetStanding | null) =>
  standing === null
    ? null
    : {
        budget: standing.budget,
        period: standing.period.id,
        resets_at: new Date(standing.period.end).toISOString(),
        spent_usd: standing.spentUsd,
        reserved_usd: standing.reservedUsd,
        // In whole nano-dollars, as the counters keep them: 0.01 - 0.0082225 is 0.0017775, not 0.0017774999999999996.
        remaining_usd: usdOf(Math.max(0, nanosOf(standing.budget.amount_usd) - nanosOf(standing.spentUsd) - nanosOf(standing.reservedUsd))),
      };

const instant = (ms: number | undefined) => (ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString());

const priceWire = (row: PriceRow, source: 'config' | 'list') => ({
  model: row.model,
  provider: row.provider,
  source,
  input: row.price.input,
  cached_input: row.price.cachedInput ?? null,
  cache_write: row.price.cacheWrite ?? null,
  output: row.price.output,
  per_request: row.price.perRequest ?? null,
  effective_from: instant(row.effectiveFrom),
  effective_to: instant(row.effectiveTo),
});

async function usage(services: AdminServices, query: SpendQuery) {
  const rows = await fromStore(requireStores(services.stores).spend.query(query));
  return { object: 'list' as const, data: rows.map(usageWire) };
}

function requireBudgets(services: AdminServices) {
  if (services.budgets === undefined) throw new GatewayError('internal_error', 'Budgets are not running in this gateway.');
  return services.budgets;
}

export const usageRoutes = [
  defineAdminRoute({
    operationId: 'getTenantUsage',
    method: 'GET',
    path: '/admin/tenants/{tenant_id}/usage',
    tag: 'usage',
    summary: 'Requests, tokens and cost of one tenant per UTC day, key and model',
    access: 'tenant',
    params: tenantParamsSchema,
    query: tenantUsageQuery,
    response: usageListSchema,
    handle: ({ params, query }, services) =>
      usage(services, { scope: { tenantId: params.tenant_id }, from: query.from, to: query.to, groupBy: ['tenant', ...(query.group_by ?? ['day', 'key', 'model'])] }),
  }),
  defineAdminRoute({
    operationId: 'getUsage',
    method: 'GET',
    path: '/admin/usage',
    tag: 'usage',
    summary: 'Requests, tokens and cost of every tenant per UTC day, key and model',
    access: 'master',
    query: allUsageQuery,
    response: usageListSchema,
    handle: ({ query }, services) => usage(services, { scope: { all: true }, from: query.from, to: query.to, groupBy: query.group_by }),
  }),
  defineAdminRoute({
    operationId: 'getTenantSpend',
    method: 'GET',
    path: '/admin/tenants/{tenant_id}/spend',
    tag: 'usage',
    summary: "Where a tenant's budget and its keys' budgets stand in the current period",
    access: 'tenant',
    params: tenantParamsSchema,
    response: spendSchema,
    async handle({ params }, services) {
      const stores = requireStores(services.stores);
      const tenant = await fromStore(stores.tenants.get(params.tenant_id));
      if (tenant === undefined) throw tenantNotFound(params.tenant_id);
      const keys = await fromStore(stores.keys.list(tenant.id, { limit: 1000 }));
      const standings = await requireBudgets(services).standings([
        { scope: 'tenant', id: tenant.id, budget: tenant.budget },
        ...keys.map((key) => ({ scope: 'key' as const, id: key.id, budget: key.budget })),
      ]);
      return {
        tenant_id: tenant.id,
        budget: standingWire(standings[0]!),
        keys: keys.map((key, index) => ({ key_id: key.id, name: key.name, budget: standingWire(standings[index + 1]!) })),
      };
    },
  }),
  defineAdminRoute({
    operationId: 'listPrices',
    method: 'GET',
    path: '/admin/prices',
    tag: 'usage',
    summary: 'The price table: configured rows (they win), then the shipped list prices, with effective dates',
    access: 'tenant',
    response: priceListSchema,
    handle(_input, services) {
      const configured = services.app.runtime().prices.rows.map((row) => priceWire(row, 'config'));
      const shipped = shippedPriceRows().map((row) => priceWire(row, 'list'));
      return { object: 'list' as const, data: [...configured, ...shipped] };
    },
  }),
];
