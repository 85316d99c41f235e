/**
 * `/admin/tenants`: create, list, read and change tenants. Creating, listing and changing tenants is the
 * operator's (master key); a tenant admin key may read its own tenant, and any other id is 404 to it.
 */
import { z } from 'zod';
import { fromStore, requireStores } from './store-errors.js';
import { tenantNotFound } from './access.js';
import { listPage, listQuerySchema, listSchema, storePage } from './lists.js';
import { defineAdminRoute } from './registry.js';
import {
  boundedMetadataSchema,
  budgetWireSchema,
  limitsWireSchema,
  tenantParamsSchema,
  tenantSchema,
  tenantWire,
} from './resources.js';
import { tenantIdPattern } from '../../stores/key-secret.js';

const nameSchema = z.string().trim().min(1).max(200);
const tierSchema = z.string().min(1).max(64);

const createTenantSchema = z
  .strictObject({
    id: z.string().regex(tenantIdPattern, 'letters, digits, _ . - (first a letter or digit), at most 64').optional()
      .describe('Your id for the tenant (acme, team-search); generated (ten_…) when absent.'),
    name: nameSchema,
    tier: tierSchema.nullable().optional(),
    limits: limitsWireSchema.optional(),
    budget: budgetWireSchema.nullable().optional(),
    metadata: boundedMetadataSchema.optional(),
  })
  .meta({ id: 'CreateTenantRequest' });

const updateTenantSchema = z
  .strictObject({
    name: nameSchema.optional(),
    tier: tierSchema.nullable().optional(),
    limits: limitsWireSchema.optional().describe('Replaces the limits as a whole; {} removes them all.'),
    budget: budgetWireSchema.nullable().optional().describe('null removes the budget.'),
    metadata: boundedMetadataSchema.optional().describe('Replaces the metadata as a whole.'),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'Send at least one of name, tier, limits, budget, metadata.')
  .meta({ id: 'UpdateTenantRequest' });

export const tenantRoutes = [
  defineAdminRoute({
    operationId: 'createTenant',
    method: 'POST',
    path: '/admin/tenants',
    tag: 'tenants',
    summary: 'Create a tenant',
    access: 'master',
    body: createTenantSchema,
    response: tenantSchema,
    status: 201,
    async handle({ body }, { stores }) {
      return tenantWire(await fromStore(requireStores(stores).tenants.create(body)));
    },
  }),
  defineAdminRoute({
    operationId: 'listTenants',
    method: 'GET',
    path: '/admin/tenants',
    tag: 'tenants',
    summary: 'List tenants, by id',
    access: 'master',
    query: listQuerySchema,
    response: listSchema(tenantSchema),
    async handle({ query }, { stores }) {
      const tenants = await fromStore(requireStores(stores).tenants.list(storePage(query)));
      return listPage(tenants, query, tenantWire);
    },
  }),
  defineAdminRoute({
    operationId: 'getTenant',
    method: 'GET',
    path: '/admin/tenants/{tenant_id}',
    tag: 'tenants',
    summary: 'Get a tenant (a tenant admin key: its own)',
    access: 'tenant',
    params: tenantParamsSchema,
    response: tenantSchema,
    async handle({ params }, { stores }) {
      const tenant = await fromStore(requireStores(stores).tenants.get(params.tenant_id));
      if (tenant === undefined) throw tenantNotFound(params.tenant_id);
      return tenantWire(tenant);
    },
  }),
  defineAdminRoute({
    operationId: 'updateTenant',
    method: 'PATCH',
    path: '/admin/tenants/{tenant_id}',
    tag: 'tenants',
    summary: "Change a tenant's name, tier, limits, budget or metadata",
    access: 'master',
    params: tenantParamsSchema,
    body: updateTenantSchema,
    response: tenantSchema,
    async handle({ params, body }, { stores }) {
      const tenant = await fromStore(requireStores(stores).tenants.update(params.tenant_id, body));
      if (tenant === undefined) throw tenantNotFound(params.tenant_id);
      return tenantWire(tenant);
    },
  }),
];
