/**
 * Tenants and their virtual API keys (DESIGN.md §6): the records every store returns and the auth stage puts on
 * the context. The JSON parts (scopes, limits, budget, metadata) are zod schemas because they arrive from the
 * admin API and are stored as JSON; the limits and budget stages read them.
 */
import { z } from 'zod';

export const metadataSchema = z.record(z.string(), z.json());
export type Metadata = z.infer<typeof metadataSchema>;

/** What a key may call. No `models` list: every model and alias. A trailing `*` matches a prefix (`gpt-4o*`). */
export const keyScopesSchema = z.strictObject({
  models: z.array(z.string().min(1).max(256)).max(1000).optional(),
  /** A tenant admin key: may use `/admin` for its own tenant (its keys and their budgets), see docs/tenancy.md. */
  admin: z.boolean().optional(),
});
export type KeyScopes = z.infer<typeof keyScopesSchema>;

/** Per key or per tenant; an absent field means no limit of that kind. */
export const limitsSchema = z.strictObject({
  requests_per_minute: z.number().int().positive().optional(),
  tokens_per_minute: z.number().int().positive().optional(),
  concurrent_requests: z.number().int().positive().optional(),
  /** When the limit store (Redis) is down: let requests through (true) or refuse them (false); default `limits.fail_open`. */
  fail_open: z.boolean().optional(),
});
export type Limits = z.infer<typeof limitsSchema>;

export const budgetSchema = z.strictObject({
  amount_usd: z.number().nonnegative(),
  period: z.enum(['day', 'month']),
  /** At 100%: refuse, or serve `downgrade_to` (a cheaper model or alias) instead. */
  on_exhausted: z.enum(['block', 'downgrade']).optional(),
  downgrade_to: z.string().min(1).optional(),
});
export type Budget = z.infer<typeof budgetSchema>;

export interface Tenant {
  readonly id: string;
  readonly name: string;
  readonly tier: string | null;
  readonly limits: Limits;
  readonly budget: Budget | null;
  readonly metadata: Metadata;
  /** Bumped by every change; caches keep the highest they saw so a late read never undoes a newer one. */
  readonly version: number;
  readonly createdAt: Date;
}

export interface ApiKey {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  /** The first characters of the secret (`sk-sy-Ab12Cd`), to tell keys apart in lists. */
  readonly keyPrefix: string;
  /** HMAC-SHA-256 of the secret with the server pepper, hex. The secret itself is never stored. */
  readonly keyHash: string;
  readonly scopes: KeyScopes;
  /** Overrides the tenant's tier for this key. */
  readonly tier: string | null;
  readonly limits: Limits;
  readonly budget: Budget | null;
  readonly metadata: Metadata;
  readonly version: number;
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
}

/** A key together with the tenant that owns it: what a presented secret resolves to. */
export interface ResolvedKey {
  readonly key: ApiKey;
  readonly tenant: Tenant;
}

/** Whether a key's scopes let it call `model` (a public model name or alias, as the client sent it). */
export function scopeAllowsModel(scopes: KeyScopes, model: string): boolean {
  if (scopes.models === undefined) return true;
  return scopes.models.some((allowed) =>
    allowed.endsWith('*') ? model.startsWith(allowed.slice(0, -1)) : allowed === model,
  );
}
