/**
 * Tenants and keys in process memory: for tests, library mode and single-node setups that can lose their keys on
 * restart. Records are copied in and out, as a database would, so callers never share state with the store.
 */
import type { ApiKey, ResolvedKey, Tenant } from '../../core/tenancy.js';
import { ChangeEmitter } from '../change-emitter.js';
import { keyHasher } from '../key-secret.js';
import { MemoryRequestLogStore } from './request-log-store.js';
import { MemorySpendStore } from './spend-store.js';
import {
  checkKeyPatch,
  checkTenantPatch,
  compareIds,
  definedFields,
  newKeyRecord,
  newTenantRecord,
  pageLimit,
} from '../records.js';
import {
  StoreError,
  type CreatedKey,
  type KeyPatch,
  type KeyStore,
  type ListKeysOptions,
  type NewKey,
  type NewTenant,
  type Page,
  type Stores,
  type TenantPatch,
  type TenantStore,
} from '../types.js';

const copy = structuredClone;

function pageOf<T extends { id: string }>(items: Iterable<T>, page: Page | undefined, keep: (item: T) => boolean): T[] {
  const limit = pageLimit(page);
  const after = page?.after;
  return [...items]
    .filter((item) => keep(item) && (after === undefined || compareIds(item.id, after) > 0))
    .sort((a, b) => compareIds(a.id, b.id))
    .slice(0, limit)
    .map((item) => copy(item));
}

class MemoryTenantStore implements TenantStore {
  constructor(
    readonly rows: Map<string, Tenant>,
    private readonly changes: ChangeEmitter,
  ) {}

  async create(input: NewTenant): Promise<Tenant> {
    const tenant = newTenantRecord(copy(input));
    if (this.rows.has(tenant.id)) throw new StoreError('conflict', `tenant "${tenant.id}" already exists`);
    this.rows.set(tenant.id, tenant);
    this.changes.emit({ kind: 'tenant', tenantId: tenant.id, version: tenant.version, removed: false, tenant: copy(tenant) });
    return copy(tenant);
  }

  async get(tenantId: string): Promise<Tenant | undefined> {
    const tenant = this.rows.get(tenantId);
    return tenant && copy(tenant);
  }

  async list(page?: Page): Promise<Tenant[]> {
    return pageOf(this.rows.values(), page, () => true);
  }

  async update(tenantId: string, patch: TenantPatch): Promise<Tenant | undefined> {
    checkTenantPatch(patch);
    const current = this.rows.get(tenantId);
    if (current === undefined) return undefined;
    const next: Tenant = { ...current, ...copy(definedFields(patch)), version: current.version + 1 };
    this.rows.set(tenantId, next);
    this.changes.emit({ kind: 'tenant', tenantId, version: next.version, removed: false, tenant: copy(next) });
    return copy(next);
  }
}

class MemoryKeyStore implements KeyStore {
  private readonly rows = new Map<string, ApiKey>();
  private readonly idByHash = new Map<string, string>();

  constructor(
    private readonly tenants: Map<string, Tenant>,
    private readonly hash: (secret: string) => string,
    private readonly changes: ChangeEmitter,
  ) {}

  async create(tenantId: string, input: NewKey): Promise<CreatedKey> {
    if (!this.tenants.has(tenantId)) throw new StoreError('not_found', `tenant "${tenantId}" does not exist`);
    const { key, secret } = newKeyRecord(tenantId, copy(input), this.hash);
    this.rows.set(key.id, key);
    this.idByHash.set(key.keyHash, key.id);
    this.announce(key);
    return { key: copy(key), secret };
  }

  async get(tenantId: string, keyId: string): Promise<ApiKey | undefined> {
    const key = this.owned(tenantId, keyId);
    return key && copy(key);
  }

  async list(tenantId: string, options?: ListKeysOptions): Promise<ApiKey[]> {
    return pageOf(
      this.rows.values(),
      options,
      (key) => key.tenantId === tenantId && (options?.includeRevoked === true || key.revokedAt === null),
    );
  }

  async update(tenantId: string, keyId: string, patch: KeyPatch): Promise<ApiKey | undefined> {
    checkKeyPatch(patch);
    const current = this.owned(tenantId, keyId);
    if (current === undefined || current.revokedAt !== null) return current && copy(current);
    const next: ApiKey = { ...current, ...copy(definedFields(patch)), version: current.version + 1 };
    this.rows.set(keyId, next);
    this.announce(next);
    return copy(next);
  }

  async revoke(tenantId: string, keyId: string): Promise<ApiKey | undefined> {
    const current = this.owned(tenantId, keyId);
    if (current === undefined || current.revokedAt !== null) return current && copy(current);
    const next: ApiKey = { ...current, revokedAt: new Date(), version: current.version + 1 };
    this.rows.set(keyId, next);
    this.announce(next);
    return copy(next);
  }

  async findByHash(keyHash: string): Promise<ResolvedKey | undefined> {
    const key = this.rows.get(this.idByHash.get(keyHash) ?? '');
    return key && this.resolved(key);
  }

  async activeKeys(): Promise<ResolvedKey[]> {
    return [...this.rows.values()].filter((key) => key.revokedAt === null).map((key) => this.resolved(key));
  }

  async touch(lastUsed: ReadonlyMap<string, Date>): Promise<void> {
    for (const [keyId, at] of lastUsed) {
      const current = this.rows.get(keyId);
      if (current !== undefined && (current.lastUsedAt === null || current.lastUsedAt < at)) {
        this.rows.set(keyId, { ...current, lastUsedAt: at });
      }
    }
  }

  private owned(tenantId: string, keyId: string): ApiKey | undefined {
    const key = this.rows.get(keyId);
    return key?.tenantId === tenantId ? key : undefined;
  }

  private resolved(key: ApiKey): ResolvedKey {
    return { key: copy(key), tenant: copy(this.tenants.get(key.tenantId)!) };
  }

  private announce(key: ApiKey): void {
    this.changes.emit({
      kind: 'key',
      tenantId: key.tenantId,
      keyId: key.id,
      version: key.version,
      removed: key.revokedAt !== null,
      resolved: this.resolved(key),
    });
  }
}

export function openMemoryStores(pepper: string, requestLogRecords?: number): Stores {
  const changes = new ChangeEmitter();
  const hashKey = keyHasher(pepper);
  const tenants = new MemoryTenantStore(new Map(), changes);
  return {
    kind: 'memory',
    tenants,
    keys: new MemoryKeyStore(tenants.rows, hashKey, changes),
    changes,
    requestLog: new MemoryRequestLogStore(requestLogRecords),
    spend: new MemorySpendStore(),
    hashKey,
    close: async () => undefined,
  };
}
