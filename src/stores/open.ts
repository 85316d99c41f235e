/**
 * Picks and opens the tenant/key stores from config (DESIGN.md §12): PostgreSQL when a URL is configured (or
 * DATABASE_URL is set), else embedded PGlite in `data_dir` (the default: a fresh clone starts with an empty
 * `./data`), or memory when asked for.
 */
import { resolve } from 'node:path';
import { openMemoryStores } from './memory/index.js';
import { resolvePepper, type StoreDriver } from './pepper.js';
import type { StoreLogger, Stores } from './types.js';

/** The `store` config section. */
export interface StoreSettings {
  driver: 'auto' | StoreDriver;
  url?: string;
  schema: string;
  data_dir: string;
  pool_size: number;
  connect_timeout_ms: number;
  statement_timeout_ms: number;
}

type Env = Record<string, string | undefined>;

export function storeDriver(settings: StoreSettings, env: Env): { driver: StoreDriver; url: string | undefined } {
  const url = settings.url ?? (env.DATABASE_URL || undefined);
  const driver = settings.driver === 'auto' ? (url === undefined ? 'pglite' : 'postgres') : settings.driver;
  if (driver === 'postgres' && url === undefined) {
    throw new Error('store.driver is postgres but there is no store.url and DATABASE_URL is not set.');
  }
  return { driver, url };
}

/** `memoryLogRecords`: the memory driver's request-log bound (`request_log.memory_records`). */
export async function openStores(
  settings: StoreSettings,
  keyPepper: string | undefined,
  env: Env,
  log: StoreLogger,
  memoryLogRecords?: number,
): Promise<Stores> {
  const { driver, url } = storeDriver(settings, env);
  const pepper = resolvePepper(driver, keyPepper ?? env.SWITCHYARD_KEY_PEPPER, settings.data_dir, log);
  if (driver === 'memory') return openMemoryStores(pepper, memoryLogRecords);
  // The SQL stores (drizzle, pg: ~150 modules) load only for the drivers that use them, not for `store: memory`.
  if (driver === 'postgres') {
    const { openSqlStores } = await import('./sql/index.js');
    return openSqlStores({
      kind: 'postgres',
      client: { connectionString: url },
      schema: settings.schema,
      poolSize: settings.pool_size,
      connectTimeoutMs: settings.connect_timeout_ms,
      statementTimeoutMs: settings.statement_timeout_ms,
      pepper,
      log,
    });
  }
  return openEmbeddedStores(resolve(settings.data_dir, 'pglite'), pepper, log);
}

/** The SQL stores on an embedded PGlite in a worker thread: data in `dataDir`, or in memory when it is undefined. */
export async function openEmbeddedStores(dataDir: string | undefined, pepper: string, log: StoreLogger): Promise<Stores> {
  const [{ startEmbeddedDatabase }, { openSqlStores }] = await Promise.all([import('./sql/pglite.js'), import('./sql/index.js')]);
  const embedded = await startEmbeddedDatabase(dataDir, log);
  return openSqlStores({
    kind: 'pglite',
    client: embedded.client,
    schema: 'public',
    poolSize: 1,
    pepper,
    log,
    availability: embedded.availability,
    blobs: embedded.blobs,
    onClose: () => embedded.close(),
  });
}
