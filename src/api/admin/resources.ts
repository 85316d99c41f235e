/**
 * The wire shapes of tenants and keys (zod, so the OpenAPI document is generated from them) and the converters
 * from store records. A key's hash never leaves the gateway; its secret appears once, in the create response.
 */
import { z } from 'zod';
import { budgetSchema, keyScopesSchema, limitsSchema, metadataSchema, type ApiKey, type Tenant } from '../../core/tenancy.js';
import { tenantIdPattern } from '../../stores/key-secret.js';

/** Metadata is free-form JSON kept with the record: bounded so one tenant cannot store megabytes per key. */
export const MAX_METADATA_BYTES = 16_384;

export const boundedMetadataSchema = metadataSchema.refine((value) => JSON.stringify(value).length <= MAX_METADATA_BYTES, {
  message: `metadata must serialise to at most ${MAX_METADATA_BYTES} bytes of JSON`,
});

export const tenantIdSchema = z.string().regex(tenantIdPattern).describe('Tenant id: chosen at creation (acme) or generated (ten_…).');
export const keyIdSchema = z.string().regex(/^key_[A-Za-z0-9_-]{1,64}$/).describe('Key id (key_…), not the secret.');

export const tenantParamsSchema = z.object({ tenant_id: tenantIdSchema });
export const keyParamsSchema = z.object({ tenant_id: tenantIdSchema, key_id: keyIdSchema });

const timestamp = z.iso.datetime({ offset: true });

export const budgetWireSchema = budgetSchema.meta({ id: 'Budget', description: 'Spend allowed per period, in USD.' });
export const limitsWireSchema = limitsSchema.meta({ id: 'Limits', description: 'Absent fields mean no limit of that kind.' });
export const scopesWireSchema = keyScopesSchema.meta({
  id: 'KeyScopes',
  description: 'models: what the key may call (no list: everything; trailing * matches a prefix); admin: a tenant admin key.',
});

export const tenantSchema = z
  .object({
    object: z.literal('tenant'),
    id: z.string(),
    name: z.string(),
    tier: z.string().nullable(),
    limits: limitsWireSchema,
    budget: budgetWireSchema.nullable(),
    metadata: metadataSchema,
    created_at: timestamp,
  })
  .meta({ id: 'Tenant' });

export const apiKeySchema = z
  .object({
    object: z.literal('api_key'),
    id: z.string(),
    tenant_id: z.string(),
    name: z.string(),
    key_prefix: z.string().describe('The first characters of the secret, to tell keys apart.'),
    status: z.enum(['active', 'expired', 'revoked']),
    scopes: scopesWireSchema,
    tier: z.string().nullable(),
    limits: limitsWireSchema,
    budget: budgetWireSchema.nullable(),
    metadata: metadataSchema,
    expires_at: timestamp.nullable(),
    revoked_at: timestamp.nullable(),
    created_at: timestamp,
    last_used_at: timestamp.nullable(),
  })
  .meta({ id: 'ApiKey' });

export const createdKeySchema = apiKeySchema
  .extend({ secret: z.string().describe('The API key itself. Shown this once: store it now; it cannot be retrieved again.') })
  .meta({ id: 'CreatedApiKey' });

export type TenantWire = z.input<typeof tenantSchema>;
export type ApiKeyWire = z.input<typeof apiKeySchema>;

const iso = (date: Date | null) => (date === null ? null : date.toISOString());

export function tenantWire(tenant: Tenant): TenantWire {
  return {
    object: 'tenant',
    id: tenant.id,
    name: tenant.name,
    tier: tenant.tier,
    limits: tenant.limits,
    budget: tenant.budget,
    metadata: tenant.metadata,
    created_at: tenant.createdAt.toISOString(),
  };
}

export function keyStatus(key: ApiKey, now = Date.now()): ApiKeyWire['status'] {
  if (key.revokedAt !== null) return 'revoked';
  return key.expiresAt !== null && key.expiresAt.getTime() <= now ? 'expired' : 'active';
}

export function keyWire(key: ApiKey): ApiKeyWire {
  return {
    object: 'api_key',
    id: key.id,
    tenant_id: key.tenantId,
    name: key.name,
    key_prefix: key.keyPrefix,
    status: keyStatus(key),
    scopes: key.scopes,
    tier: key.tier,
    limits: key.limits,
    budget: key.budget,
    metadata: key.metadata,
    expires_at: iso(key.expiresAt),
    revoked_at: iso(key.revokedAt),
    created_at: key.createdAt.toISOString(),
    last_used_at: iso(key.lastUsedAt),
  };
}
