/** Building and validating records, shared by every store so they agree on ids, defaults and rules. */
import type { ApiKey, Tenant } from '../core/tenancy.js';
import { displayPrefix, generateKeySecret, newId, tenantIdPattern } from './key-secret.js';
import { StoreError, type KeyPatch, type NewKey, type NewTenant, type Page } from './types.js';

export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;

export function pageLimit(page: Page | undefined): number {
  const limit = page?.limit ?? DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1) throw new StoreError('invalid', `page limit must be a positive integer, got ${limit}`);
  return Math.min(limit, MAX_PAGE);
}

/** Compares ids the way the SQL stores order them (`COLLATE "C"`: by code unit). */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function checkName(name: string, what: string): void {
  if (name.trim() === '' || name.length > 200) throw new StoreError('invalid', `${what} name must be 1-200 characters`);
}

export function newTenantRecord(input: NewTenant, now = new Date()): Tenant {
  if (input.id !== undefined && !tenantIdPattern.test(input.id)) {
    throw new StoreError('invalid', `tenant id "${input.id}" must match ${tenantIdPattern.source}`);
  }
  checkName(input.name, 'tenant');
  return {
    id: input.id ?? newId('ten'),
    name: input.name,
    tier: input.tier ?? null,
    limits: input.limits ?? {},
    budget: input.budget ?? null,
    metadata: input.metadata ?? {},
    version: 1,
    createdAt: now,
  };
}

/** A new key record and its secret; `hash` is the store's peppered hasher. */
export function newKeyRecord(
  tenantId: string,
  input: NewKey,
  hash: (secret: string) => string,
  now = new Date(),
): { key: ApiKey; secret: string } {
  checkName(input.name, 'key');
  const secret = generateKeySecret();
  return {
    secret,
    key: {
      id: newId('key'),
      tenantId,
      name: input.name,
      keyPrefix: displayPrefix(secret),
      keyHash: hash(secret),
      scopes: input.scopes ?? {},
      tier: input.tier ?? null,
      limits: input.limits ?? {},
      budget: input.budget ?? null,
      metadata: input.metadata ?? {},
      version: 1,
      expiresAt: input.expiresAt ?? null,
      revokedAt: null,
      createdAt: now,
      lastUsedAt: null,
    },
  };
}

export function checkKeyPatch(patch: KeyPatch): void {
  if (patch.name !== undefined) checkName(patch.name, 'key');
}

export function checkTenantPatch(patch: { name?: string }): void {
  if (patch.name !== undefined) checkName(patch.name, 'tenant');
}

/** Drops `undefined` fields so a patch only touches what it names. */
export function definedFields<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<T>;
}
