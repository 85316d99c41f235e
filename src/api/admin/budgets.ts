/**
 * Budgets over HTTP: `PUT` sets and `DELETE` clears the spend budget of a tenant (master key only: a tenant admin
 * must not lift its own cap) or of one key (the master key, or the tenant's admin keys, within their tenant).
 * The budget stage reads them from the records; see DESIGN.md §6.
 */
import type { Budget } from '../../core/tenancy.js';
import { tenantNotFound } from './access.js';
import { updateLiveKey } from './keys.js';
import { defineAdminRoute } from './registry.js';
import { apiKeySchema, budgetWireSchema, keyParamsSchema, keyWire, tenantParamsSchema, tenantSchema, tenantWire } from './resources.js';
import { fromStore, requireStores } from './store-errors.js';
import type { Stores } from '../../stores/types.js';

/** A downgrade needs somewhere to go. */
const budgetBodySchema = budgetWireSchema.superRefine((budget, ctx) => {
  if (budget.on_exhausted === 'downgrade' && budget.downgrade_to === undefined) {
    ctx.addIssue({ code: 'custom', path: ['downgrade_to'], message: 'on_exhausted "downgrade" needs downgrade_to (a cheaper model or alias)' });
  }
});

async function setTenantBudget(stores: Stores, tenantId: string, budget: Budget | null) {
  const tenant = await fromStore(stores.tenants.update(tenantId, { budget }));
  if (tenant === undefined) throw tenantNotFound(tenantId);
  return tenantWire(tenant);
}

export const budgetRoutes = [
  defineAdminRoute({
    operationId: 'setTenantBudget',
    method: 'PUT',
    path: '/admin/tenants/{tenant_id}/budget',
    tag: 'budgets',
    summary: "Set a tenant's spend budget (replaces any previous one)",
    access: 'master',
    params: tenantParamsSchema,
    body: budgetBodySchema,
    response: tenantSchema,
    handle: ({ params, body }, { stores }) => setTenantBudget(requireStores(stores), params.tenant_id, body),
  }),
  defineAdminRoute({
    operationId: 'clearTenantBudget',
    method: 'DELETE',
    path: '/admin/tenants/{tenant_id}/budget',
    tag: 'budgets',
    summary: "Remove a tenant's spend budget",
    access: 'master',
    params: tenantParamsSchema,
    response: tenantSchema,
    handle: ({ params }, { stores }) => setTenantBudget(requireStores(stores), params.tenant_id, null),
  }),
  defineAdminRoute({
    operationId: 'setKeyBudget',
    method: 'PUT',
    path: '/admin/tenants/{tenant_id}/keys/{key_id}/budget',
    tag: 'budgets',
    summary: "Set a key's spend budget (within its tenant's, which still applies)",
    access: 'tenant',
    params: keyParamsSchema,
    body: budgetBodySchema,
    response: apiKeySchema,
    async handle({ params, body }, { stores }) {
      return keyWire(await updateLiveKey(requireStores(stores), params.tenant_id, params.key_id, { budget: body }));
    },
  }),
  defineAdminRoute({
    operationId: 'clearKeyBudget',
    method: 'DELETE',
    path: '/admin/tenants/{tenant_id}/keys/{key_id}/budget',
    tag: 'budgets',
    summary: "Remove a key's spend budget",
    access: 'tenant',
    params: keyParamsSchema,
    response: apiKeySchema,
    async handle({ params }, { stores }) {
      return keyWire(await updateLiveKey(requireStores(stores), params.tenant_id, params.key_id, { budget: null }));
    },
  }),
];

