/**
 * The hot path's view of keys (DESIGN.md §1: no database round trip per request). Holds every live key, by the
 * hash of its secret, and the tenants that own them; `resolve()` is a hash and two map reads.
 *
 * Kept current by the store's change feed: this process's writes carry the new record and apply before the write
 * returns; other replicas' writes (PostgreSQL NOTIFY) carry ids, version and a `removed` flag — a revocation
 * applies at once, anything else is read back in the background. Versions make late reads harmless (a read never
 * replaces a newer record) and revocation is final (a revoked id never comes back). `resync` reloads everything.
 * `last_used_at` is collected here and written in one batch every `flushMs`.
 */
import { hash } from 'node:crypto';
import type { ApiKey, ResolvedKey, Tenant } from '../core/tenancy.js';
import { looksLikeKey } from './key-secret.js';
import type { KeyDirectory, StoreChange, StoreLogger, Stores } from './types.js';

export interface KeyCacheOptions {
  log: StoreLogger;
  /** How often `last_used_at` is written (default 30 s). */
  flushMs?: number;
  /** After a failed background read, how soon to reload everything (default 1 s). */
  retryMs?: number;
}

/** Secrets that resolved recently whose peppered hash is remembered (oldest forgotten first). */
const RECENT_SECRETS = 4096;

interface Entry {
  key: ApiKey;
  /** The reload generation when this entry was written; a reload drops older entries its snapshot lacks. */
  generation: number;
}

export class KeyCache implements KeyDirectory {
  private readonly byHash = new Map<string, Entry>();
  private readonly hashById = new Map<string, string>();
  private readonly tenants = new Map<string, Tenant>();
  /** Revoked (or deleted) key ids: final, so a late read cannot bring one back. */
  private readonly removed = new Set<string>();
  private readonly used = new Map<string, number>();
  /**
   * SHA-256 of a secret that resolved → its peppered hash (the map key of `byHash`). The HMAC costs about three
   * plain hashes (a keyed hash sets up its key per call), and a gateway sees the same few keys on every request.
   * Only secrets that resolved are remembered, so unknown ones cannot churn it; a revoked key's hash stays here
   * harmlessly (`byHash` no longer has it). A plain SHA-256 of a 256-bit random secret reveals nothing usable.
   */
  private readonly recent = new Map<string, string>();
  private generation = 0;
  private queue: Promise<void> = Promise.resolve();
  private retryTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private unsubscribe: () => void = () => undefined;
  private tenantSeen = false;

  private constructor(
    private readonly stores: Stores,
    private readonly options: KeyCacheOptions,
  ) {}

  /** Subscribes to changes first, then loads the snapshot, so nothing written meanwhile is missed. */
  static async start(stores: Stores, options: KeyCacheOptions): Promise<KeyCache> {
    const cache = new KeyCache(stores, options);
    cache.unsubscribe = stores.changes.subscribe((change) => cache.onChange(change));
    cache.queue = cache.reload();
    await cache.queue;
    cache.flushTimer = setInterval(() => void cache.flush(), options.flushMs ?? 30_000).unref();
    return cache;
  }

  get hasTenants(): boolean {
    return this.tenantSeen;
  }

  /** Live keys held. */
  get size(): number {
    return this.byHash.size;
  }

  resolve(secret: string): ResolvedKey | undefined {
    if (!looksLikeKey(secret)) return undefined;
    const digest = hash('sha256', secret, 'base64');
    const remembered = this.recent.get(digest);
    const keyHash = remembered ?? this.stores.hashKey(secret);
    const entry = this.byHash.get(keyHash);
    if (entry === undefined) return undefined;
    if (remembered === undefined) this.remember(digest, keyHash);
    const tenant = this.tenants.get(entry.key.tenantId);
    return tenant === undefined ? undefined : { key: entry.key, tenant };
  }

  private remember(digest: string, keyHash: string): void {
    if (this.recent.size >= RECENT_SECRETS) this.recent.delete(this.recent.keys().next().value!);
    this.recent.set(digest, keyHash);
  }

  markUsed(keyId: string): void {
    this.used.set(keyId, Date.now());
  }

  /** Resolves when every background read queued so far is applied (tests, shutdown). */
  settled(): Promise<void> {
    return this.queue;
  }

  async flush(): Promise<void> {
    if (this.used.size === 0) return;
    const batch = new Map([...this.used].map(([keyId, at]) => [keyId, new Date(at)]));
    this.used.clear();
    await this.stores.keys.touch(batch).catch((error: unknown) => {
      this.options.log.warn('could not record key last_used_at', { keys: batch.size, error: (error as Error).message });
    });
  }

  async close(): Promise<void> {
    this.unsubscribe();
    clearInterval(this.flushTimer);
    clearTimeout(this.retryTimer);
    await this.queue;
    await this.flush();
  }

  private onChange(change: StoreChange): void {
    if (change.kind === 'resync') return this.enqueue(() => this.reload());
    if (change.kind === 'tenant') {
      if (!change.removed) this.tenantSeen = true;
      if (change.removed) return this.dropTenant(change.tenantId);
      if (change.tenant !== undefined) return this.applyTenant(change.tenant);
      if ((this.tenants.get(change.tenantId)?.version ?? Infinity) >= change.version) return;
      return this.enqueue(async () => {
        const tenant = await this.stores.tenants.get(change.tenantId);
        if (tenant !== undefined) this.applyTenant(tenant);
      });
    }
    if (change.removed) return this.removeKey(change.keyId);
    if (change.resolved !== undefined) {
      this.applyTenant(change.resolved.tenant);
      return this.applyKey(change.resolved.key);
    }
    if (this.versionOf(change.keyId) >= change.version) return;
    this.enqueue(async () => {
      const key = await this.stores.keys.get(change.tenantId, change.keyId);
      if (key === undefined) return this.removeKey(change.keyId);
      if (!this.tenants.has(key.tenantId)) {
        const tenant = await this.stores.tenants.get(key.tenantId);
        if (tenant !== undefined) this.applyTenant(tenant);
      }
      this.applyKey(key);
    });
  }

  /** Runs reads one at a time; a failed one schedules a full reload, since its change is otherwise lost. */
  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((error: unknown) => {
      this.options.log.warn('key cache refresh failed; reloading shortly', { error: (error as Error).message });
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.enqueue(() => this.reload()), this.options.retryMs ?? 1000).unref();
    });
  }

  private async reload(): Promise<void> {
    const generation = ++this.generation;
    const [snapshot, someTenant] = await Promise.all([this.stores.keys.activeKeys(), this.stores.tenants.list({ limit: 1 })]);
    if (someTenant.length > 0) this.tenantSeen = true;
    const present = new Set<string>();
    for (const { key, tenant } of snapshot) {
      this.applyTenant(tenant);
      this.applyKey(key);
      present.add(key.id);
    }
    // Whatever the snapshot lacks was revoked or deleted, unless it was written after the snapshot was asked for.
    for (const entry of [...this.byHash.values()]) {
      if (!present.has(entry.key.id) && entry.generation < generation) this.removeKey(entry.key.id);
    }
  }

  private versionOf(keyId: string): number {
    if (this.removed.has(keyId)) return Infinity;
    const hash = this.hashById.get(keyId);
    return (hash === undefined ? undefined : this.byHash.get(hash)?.key.version) ?? 0;
  }

  private applyKey(key: ApiKey): void {
    if (key.revokedAt !== null) return this.removeKey(key.id);
    const current = this.byHash.get(key.keyHash);
    if (this.removed.has(key.id) || (current !== undefined && current.key.version > key.version)) return;
    this.byHash.set(key.keyHash, { key, generation: this.generation });
    this.hashById.set(key.id, key.keyHash);
  }

  private removeKey(keyId: string): void {
    this.removed.add(keyId);
    const hash = this.hashById.get(keyId);
    if (hash === undefined) return;
    this.byHash.delete(hash);
    this.hashById.delete(keyId);
  }

  private applyTenant(tenant: Tenant): void {
    this.tenantSeen = true;
    const current = this.tenants.get(tenant.id);
    if (current === undefined || current.version <= tenant.version) this.tenants.set(tenant.id, tenant);
  }

  private dropTenant(tenantId: string): void {
    this.tenants.delete(tenantId);
    for (const entry of [...this.byHash.values()]) if (entry.key.tenantId === tenantId) this.removeKey(entry.key.id);
  }
}
