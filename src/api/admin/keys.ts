/**
 * `/admin/tenants/{tenant_id}/keys`: a tenant's virtual API keys. The master key and the tenant's own admin keys
 * may create, list, read, change and revoke them (another tenant's ids are 404). The secret is returned once, by
 * create; hashes never. Only the master key sets a key's `tier` (tiers are the operator's service classes).
 * Revocation is immediate on this replica (the key cache applies the write before it returns) and reaches other
 * replicas through the store's change feed.
 */
import { z } from 'zod';
import { GatewayError } from '../../core/errors.js';
import type { ApiKey } from '../../core/tenancy.js';
import type { KeyPatch, Stores } from '../../stores/types.js';
import { keyNotFound, requireMaster, tenantNotFound } from './access.js';
import { listPage, listQuerySchema, listSchema, storePage } from './lists.js';
import { defineAdminRoute, type AdminScope } from './registry.js';
import {
  apiKeySchema,
  boundedMetadataSchema,
  budgetWireSchema,
  createdKeySchema,
  keyParamsSchema,
  keyWire,
  limitsWireSchema,
  scopesWireSchema,
  tenantParamsSchema,
} from './resources.js';
import { fromStore, requireStores } from './store-errors.js';

const futureTimestamp = z.iso
  .datetime({ offset: true })
  .transform((value) => new Date(value))
  .refine((date) => date.getTime() > Date.now(), 'must be in the future');

const keyFields = {
  name: z.string().trim().min(1).max(200),
  scopes: scopesWireSchema,
  tier: z.string().min(1).max(64).nullable().describe('Overrides the tenant tier for this key. Master key only.'),
  limits: limitsWireSchema,
  budget: budgetWireSchema.nullable(),
  metadata: boundedMetadataSchema,
  expires_at: futureTimestamp.nullable().describe('ISO 8601 time after which the key stops working; null: never.'),
};

const createKeySchema = z
  .strictObject({
    name: keyFields.name,
    scopes: keyFields.scopes.optional(),
    tier: keyFields.tier.optional(),
    limits: keyFields.limits.optional(),
    budget: keyFields.budget.optional(),
    metadata: keyFields.metadata.optional(),
    expires_at: keyFields.expires_at.optional(),
  })
  .meta({ id: 'CreateKeyRequest' });

const updateKeySchema = z
  .strictObject({
    name: keyFields.name.optional(),
    scopes: keyFields.scopes.optional().describe('Replaces the scopes as a whole.'),
    tier: keyFields.tier.optional(),
    limits: keyFields.limits.optional().describe('Replaces the limits as a whole; {} removes them all.'),
    budget: keyFields.budget.optional(),
    metadata: keyFields.metadata.optional(),
    expires_at: keyFields.expires_at.optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'Send at least one of name, scopes, tier, limits, budget, metadata, expires_at.')
  .meta({ id: 'UpdateKeyRequest' });

const listKeysQuerySchema = listQuerySchema.extend({
  include_revoked: z.enum(['true', 'false']).default('false').describe('Also list revoked keys.'),
});

type KeyChange = Omit<KeyPatch, 'expiresAt'> & { expires_at?: Date | null };

function keyPatch({ expires_at, ...rest }: KeyChange, scope: AdminScope): KeyPatch {
  if (rest.tier !== undefined) requireMaster(scope, "set a key's tier", 'tier');
  return expires_at === undefined ? rest : { ...rest, expiresAt: expires_at };
}

/** The key, or the 404 an absent one gets. */
export async function existingKey(stores: Stores, tenantId: string, keyId: string): Promise<ApiKey> {
  const key = await fromStore(stores.keys.get(tenantId, keyId));
  if (key === undefined) throw keyNotFound(tenantId, keyId);
  return key;
}

/** Revoked keys are final: changing one is a conflict, not a silent no-op. */
export function assertNotRevoked(key: ApiKey): void {
  if (key.revokedAt !== null) {
    throw new GatewayError('conflict', `Key "${key.id}" was revoked at ${key.revokedAt.toISOString()} and cannot be changed.`);
  }
}

/** Applies a change to a live key; 404 when absent, 409 when revoked. */
export async function updateLiveKey(stores: Stores, tenantId: string, keyId: string, patch: KeyPatch): Promise<ApiKey> {
  assertNotRevoked(await existingKey(stores, tenantId, keyId));
  const updated = await fromStore(stores.keys.update(tenantId, keyId, patch));
  if (updated === undefined) throw keyNotFound(tenantId, keyId);
  assertNotRevoked(updated);
  return updated;
}

export const keyRoutes = [
  defineAdminRoute({
    operationId: 'createKey',
    method: 'POST',
    path: '/admin/tenants/{tenant_id}/keys',
    tag: 'keys',
    summary: 'Create a virtual API key; the response holds its secret, shown this once',
    access: 'tenant',
    params: tenantParamsSchema,
    body: createKeySchema,
    response: createdKeySchema,
    status: 201,
    async handle({ params, body, scope }, { stores }) {
      const { expires_at, ...rest } = body;
      if (rest.tier !== undefined) requireMaster(scope, "set a key's tier", 'tier');
      const created = await fromStore(requireStores(stores).keys.create(params.tenant_id, { ...rest, expiresAt: expires_at }));
      return { ...keyWire(created.key), secret: created.secret };
    },
  }),
  defineAdminRoute({
    operationId: 'listKeys',
    method: 'GET',
    path: '/admin/tenants/{tenant_id}/keys',
    tag: 'keys',
    summary: "List a tenant's keys, oldest first (revoked ones when asked)",
    access: 'tenant',
    params: tenantParamsSchema,
    query: listKeysQuerySchema,
    response: listSchema(apiKeySchema),
    async handle({ params, query }, { stores }) {
      const live = requireStores(stores);
      // An unknown tenant is 404, not an empty list.
      if ((await fromStore(live.tenants.get(params.tenant_id))) === undefined) {
        throw tenantNotFound(params.tenant_id);
      }
      const keys = await fromStore(live.keys.list(params.tenant_id, { ...storePage(query), includeRevoked: query.include_revoked === 'true' }));
      return listPage(keys, query, keyWire);
    },
  }),
  defineAdminRoute({
    operationId: 'getKey',
    method: 'GET',
    path: '/admin/tenants/{tenant_id}/keys/{key_id}',
    tag: 'keys',
    summary: 'Get a key (never its secret or hash)',
    access: 'tenant',
    params: keyParamsSchema,
    response: apiKeySchema,
    async handle({ params }, { stores }) {
      return keyWire(await existingKey(requireStores(stores), params.tenant_id, params.key_id));
    },
  }),
  defineAdminRoute({
    operationId: 'updateKey',
    method: 'PATCH',
    path: '/admin/tenants/{tenant_id}/keys/{key_id}',
    tag: 'keys',
    summary: "Change a key's name, scopes, limits, budget, metadata or expiry (tier: master key only)",
    access: 'tenant',
    params: keyParamsSchema,
    body: updateKeySchema,
    response: apiKeySchema,
    async handle({ params, body, scope }, { stores }) {
      const patch = keyPatch(body, scope);
      return keyWire(await updateLiveKey(requireStores(stores), params.tenant_id, params.key_id, patch));
    },
  }),
  defineAdminRoute({
    operationId: 'revokeKey',
    method: 'DELETE',
    path: '/admin/tenants/{tenant_id}/keys/{key_id}',
    tag: 'keys',
    summary: 'Revoke a key: refused at once on this replica, within about a second on the others; idempotent',
    access: 'tenant',
    params: keyParamsSchema,
    response: apiKeySchema,
    async handle({ params }, { stores }) {
      const key = await fromStore(requireStores(stores).keys.revoke(params.tenant_id, params.key_id));
      if (key === undefined) throw keyNotFound(params.tenant_id, params.key_id);
      return keyWire(key);
    },
  }),
];
