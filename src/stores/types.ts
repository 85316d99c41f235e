/**
 * The store interfaces (DESIGN.md §6, §12). Each has a memory and a SQL implementation (PGlite and PostgreSQL
 * share the SQL one) and one contract suite, `test/contract/stores.test.ts`, that every implementation passes.
 *
 * Tenant scoping: every key read or write takes the tenant id, so an admin route can only reach the tenant it was
 * asked about. The two exceptions exist for authentication and are not for admin routes: `findByHash` (a
 * presented secret names no tenant) and `activeKeys` (the key cache's snapshot).
 */
import type { Availability } from '../core/availability.js';
import type { ApiKey, Budget, KeyScopes, Limits, Metadata, ResolvedKey, Tenant } from '../core/tenancy.js';
import type { RequestLogStore } from './request-log.js';
import type { SpendStore } from './spend.js';

export interface NewTenant {
  /** Chosen by the operator (`acme`, `team-search`); generated (`ten_…`) when absent. */
  id?: string;
  name: string;
  tier?: string | null;
  limits?: Limits;
  budget?: Budget | null;
  metadata?: Metadata;
}

export type TenantPatch = Partial<Omit<NewTenant, 'id'>>;

export interface NewKey {
  name: string;
  scopes?: KeyScopes;
  tier?: string | null;
  limits?: Limits;
  budget?: Budget | null;
  metadata?: Metadata;
  expiresAt?: Date | null;
}

export type KeyPatch = Partial<NewKey>;

/** What `KeyStore.create` returns: the record, and the secret, which is shown this once and never stored. */
export interface CreatedKey {
  readonly key: ApiKey;
  readonly secret: string;
}

/** Keyset pagination: ids sort by creation time, so `after` is the last id of the previous page. */
export interface Page {
  /** Default 100, at most 1000. */
  limit?: number;
  after?: string;
}

export interface ListKeysOptions extends Page {
  includeRevoked?: boolean;
}

export interface TenantStore {
  /** Throws `StoreError('conflict')` when the id is taken. */
  create(input: NewTenant): Promise<Tenant>;
  get(tenantId: string): Promise<Tenant | undefined>;
  list(page?: Page): Promise<Tenant[]>;
  update(tenantId: string, patch: TenantPatch): Promise<Tenant | undefined>;
}

export interface KeyStore {
  /** Throws `StoreError('not_found')` when the tenant does not exist. */
  create(tenantId: string, input: NewKey): Promise<CreatedKey>;
  get(tenantId: string, keyId: string): Promise<ApiKey | undefined>;
  /** Newest last (ids sort by creation time); revoked keys only when asked for. */
  list(tenantId: string, options?: ListKeysOptions): Promise<ApiKey[]>;
  /** A revoked key cannot be changed: returns it unchanged. */
  update(tenantId: string, keyId: string, patch: KeyPatch): Promise<ApiKey | undefined>;
  /** Idempotent: revoking a revoked key keeps its first `revokedAt`. Undefined when the tenant has no such key. */
  revoke(tenantId: string, keyId: string): Promise<ApiKey | undefined>;
  /** The key (revoked or not) whose secret hashes to `keyHash`, with its tenant. For authentication only. */
  findByHash(keyHash: string): Promise<ResolvedKey | undefined>;
  /** Every key that is not revoked, with its tenant: the key cache's snapshot. For the cache only. */
  activeKeys(): Promise<ResolvedKey[]>;
  /** Records when keys were last used, in one batch (the cache collects and flushes; never once per request). */
  touch(lastUsed: ReadonlyMap<string, Date>): Promise<void>;
}

/**
 * Something changed. Changes made through this process's stores carry the new record, so caches apply them
 * before the write returns; changes seen from other replicas carry only ids, version and `removed` (revoked or
 * deleted), and a cache reads the rest. `resync` asks for a full reload (a change feed reconnected and may have missed some).
 */
export type StoreChange =
  | { kind: 'tenant'; tenantId: string; version: number; removed: boolean; tenant?: Tenant }
  | { kind: 'key'; tenantId: string; keyId: string; version: number; removed: boolean; resolved?: ResolvedKey }
  | { kind: 'resync' };

export interface ChangeFeed {
  subscribe(listener: (change: StoreChange) => void): () => void;
}

export interface Stores {
  readonly kind: 'memory' | 'pglite' | 'postgres';
  readonly tenants: TenantStore;
  readonly keys: KeyStore;
  readonly changes: ChangeFeed;
  /** Where the request log writer appends (observability/request-log/). */
  readonly requestLog: RequestLogStore;
  /** Spend rollups per tenant, key, model and day (budgets/spend-aggregator.ts writes them). */
  readonly spend: SpendStore;
  /** The pepper keys are hashed with; the key cache hashes presented secrets with the same one. */
  hashKey(secret: string): string;
  /** Embedded PGlite: whether its worker thread is up (down while it is being restarted). */
  readonly availability?: Availability;
  close(): Promise<void>;
}

/** The key cache as the authenticate stage sees it: memory only, no I/O. */
export interface KeyDirectory {
  /** The live (not revoked) key a presented secret belongs to, with its tenant; expiry is the caller's check. */
  resolve(secret: string): ResolvedKey | undefined;
  /** False while the store holds no tenant at all: with no master key either, the gateway runs open (demo). */
  readonly hasTenants: boolean;
  /** Notes a use for the batched `last_used_at` update. */
  markUsed(keyId: string): void;
}

export type StoreErrorCode = 'not_found' | 'conflict' | 'invalid';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreError';
  }
}

export interface StoreLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}
