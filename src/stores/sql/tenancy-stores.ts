/**
 * TenantStore and KeyStore on SQL (PGlite and PostgreSQL alike), through drizzle's query builder. Every write
 * that changes what a cache holds bumps `version` (the trigger turns that into a NOTIFY for other replicas) and
 * is announced locally with the new record once it committed.
 */
import { and, eq, isNull, sql, type SQL } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import type { ApiKey, ResolvedKey, Tenant } from '../../core/tenancy.js';
import type { ChangeEmitter } from '../change-emitter.js';
import { checkKeyPatch, checkTenantPatch, definedFields, newKeyRecord, newTenantRecord, pageLimit } from '../records.js';
import {
  StoreError,
  type CreatedKey,
  type KeyPatch,
  type KeyStore,
  type ListKeysOptions,
  type NewKey,
  type NewTenant,
  type Page,
  type TenantPatch,
  type TenantStore,
} from '../types.js';
import { apiKeys, tenants } from './schema.js';

export type Database = NodePgDatabase<Record<string, never>>;

/** The SQLSTATE of a failed query; drizzle wraps the driver's error in `cause`. */
function sqlState(error: unknown): string | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** Ids compare by code unit, as the memory store does, whatever the database's collation. */
const idAfter = (column: typeof tenants.id | typeof apiKeys.id, after: string | undefined): SQL | undefined =>
  after === undefined ? undefined : sql`${column} collate "C" > ${after}`;
const byId = (column: typeof tenants.id | typeof apiKeys.id): SQL => sql`${column} collate "C"`;

export class SqlTenantStore implements TenantStore {
  constructor(
    private readonly db: Database,
    private readonly changes: ChangeEmitter,
  ) {}

  async create(input: NewTenant): Promise<Tenant> {
    const record = newTenantRecord(input);
    try {
      const [tenant] = await this.db.insert(tenants).values(record).returning();
      this.announce(tenant!);
      return tenant!;
    } catch (error) {
      if (sqlState(error) === '23505') throw new StoreError('conflict', `tenant "${record.id}" already exists`, { cause: error });
      throw error;
    }
  }

  async get(tenantId: string): Promise<Tenant | undefined> {
    const [tenant] = await this.db.select().from(tenants).where(eq(tenants.id, tenantId));
    return tenant;
  }

  async list(page?: Page): Promise<Tenant[]> {
    return this.db
      .select()
      .from(tenants)
      .where(idAfter(tenants.id, page?.after))
      .orderBy(byId(tenants.id))
      .limit(pageLimit(page));
  }

  async update(tenantId: string, patch: TenantPatch): Promise<Tenant | undefined> {
    checkTenantPatch(patch);
    const [tenant] = await this.db
      .update(tenants)
      .set({ ...definedFields(patch), version: sql`${tenants.version} + 1` })
      .where(eq(tenants.id, tenantId))
      .returning();
    if (tenant !== undefined) this.announce(tenant);
    return tenant;
  }

  private announce(tenant: Tenant): void {
    this.changes.emit({ kind: 'tenant', tenantId: tenant.id, version: tenant.version, removed: false, tenant });
  }
}

export class SqlKeyStore implements KeyStore {
  constructor(
    private readonly db: Database,
    private readonly hash: (secret: string) => string,
    private readonly changes: ChangeEmitter,
  ) {}

  async create(tenantId: string, input: NewKey): Promise<CreatedKey> {
    const { key: record, secret } = newKeyRecord(tenantId, input, this.hash);
    try {
      const [key] = await this.db.insert(apiKeys).values(record).returning();
      await this.announce(key!);
      return { key: key!, secret };
    } catch (error) {
      if (sqlState(error) === '23503') throw new StoreError('not_found', `tenant "${tenantId}" does not exist`, { cause: error });
      throw error;
    }
  }

  async get(tenantId: string, keyId: string): Promise<ApiKey | undefined> {
    const [key] = await this.db.select().from(apiKeys).where(this.owned(tenantId, keyId));
    return key;
  }

  async list(tenantId: string, options?: ListKeysOptions): Promise<ApiKey[]> {
    return this.db
      .select()
      .from(apiKeys)
      .where(
        and(
          eq(apiKeys.tenantId, tenantId),
          options?.includeRevoked === true ? undefined : isNull(apiKeys.revokedAt),
          idAfter(apiKeys.id, options?.after),
        ),
      )
      .orderBy(byId(apiKeys.id))
      .limit(pageLimit(options));
  }

  async update(tenantId: string, keyId: string, patch: KeyPatch): Promise<ApiKey | undefined> {
    checkKeyPatch(patch);
    return this.change(tenantId, keyId, { ...definedFields(patch), version: sql`${apiKeys.version} + 1` });
  }

  async revoke(tenantId: string, keyId: string): Promise<ApiKey | undefined> {
    return this.change(tenantId, keyId, { revokedAt: new Date(), version: sql`${apiKeys.version} + 1` });
  }

  async findByHash(keyHash: string): Promise<ResolvedKey | undefined> {
    const [found] = await this.withTenants().where(eq(apiKeys.keyHash, keyHash));
    return found;
  }

  async activeKeys(): Promise<ResolvedKey[]> {
    return this.withTenants().where(isNull(apiKeys.revokedAt));
  }

  async touch(lastUsed: ReadonlyMap<string, Date>): Promise<void> {
    if (lastUsed.size === 0) return;
    const ids = [...lastUsed.keys()];
    const times = [...lastUsed.values()].map((at) => at.toISOString());
    // One statement for the whole batch; greatest() keeps a newer time another replica already wrote.
    await this.db.execute(sql`
      update ${apiKeys} set last_used_at = greatest(${apiKeys.lastUsedAt}, used.at)
      from unnest(${sql.param(ids)}::text[], ${sql.param(times)}::timestamptz[]) as used(id, at)
      where ${apiKeys.id} = used.id`);
  }

  /** Applies `set` to a live key of this tenant; a revoked or missing key comes back as it is. */
  private async change(tenantId: string, keyId: string, set: PgUpdateSetSource<typeof apiKeys>): Promise<ApiKey | undefined> {
    const [key] = await this.db
      .update(apiKeys)
      .set(set)
      .where(and(this.owned(tenantId, keyId), isNull(apiKeys.revokedAt)))
      .returning();
    if (key === undefined) return this.get(tenantId, keyId);
    await this.announce(key);
    return key;
  }

  private owned(tenantId: string, keyId: string): SQL | undefined {
    return and(eq(apiKeys.tenantId, tenantId), eq(apiKeys.id, keyId));
  }

  private withTenants() {
    return this.db.select({ key: apiKeys, tenant: tenants }).from(apiKeys).innerJoin(tenants, eq(tenants.id, apiKeys.tenantId)).$dynamic();
  }

  private async announce(key: ApiKey): Promise<void> {
    const [tenant] = await this.db.select().from(tenants).where(eq(tenants.id, key.tenantId));
    const removed = key.revokedAt !== null;
    const base = { kind: 'key', tenantId: key.tenantId, keyId: key.id, version: key.version, removed } as const;
    this.changes.emit(tenant === undefined ? base : { ...base, resolved: { key, tenant } });
  }
}
