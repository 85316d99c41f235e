/**
 * Opens the SQL stores on a `pg` connection: PostgreSQL itself, or embedded PGlite behind its socket (the same
 * driver code for both). Applies migrations, checks the key pepper against the one the stored keys were made
 * with, and on PostgreSQL starts the LISTEN change feed so other replicas' writes reach this one's caches.
 * Every wait is bounded (connect, statement) and an unreachable database is reported as 503 store_unavailable
 * (`unavailable.ts`); the pool drops broken connections and opens new ones, so it recovers without a restart.
 */
import pg from 'pg';
import { eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { ChangeEmitter } from '../change-emitter.js';
import { keyHasher, pepperFingerprint } from '../key-secret.js';
import type { StoreLogger, Stores } from '../types.js';
import { ChangeListener } from './change-listener.js';
import { applyMigrations } from './migrate.js';
import { SqlRequestLogStore } from './request-log-store.js';
import { SqlSpendStore } from './spend-store.js';
import { storeMeta } from './schema.js';
import { SqlKeyStore, SqlTenantStore, type Database } from './tenancy-stores.js';
import { guardAvailability } from './unavailable.js';
import type { BlobStager } from './pglite-blob.js';
import { ReconnectingClient } from './pglite-client.js';
import { Availability } from '../../core/availability.js';

export interface SqlStoreOptions {
  kind: 'pglite' | 'postgres';
  /** Where to connect; the search path is added here. */
  client: pg.ClientConfig;
  /** PostgreSQL schema holding the tables (created if missing). PGlite always uses `public`. */
  schema: string;
  poolSize: number;
  /** Longest wait for a connection (default 10 s). */
  connectTimeoutMs?: number;
  /** PostgreSQL: longest one statement may run, on the server and (plus a margin) on the client (default 30 s). */
  statementTimeoutMs?: number;
  /** PostgreSQL: how often the change feed checks its connection (default 5 s). */
  heartbeatMs?: number;
  pepper: string;
  log: StoreLogger;
  /** PGlite: the supervised worker's state; while down, queries fail at once (pglite-client.ts). */
  availability?: Availability;
  /** PGlite: the worker's `/dev/blob`, so the request log is written with COPY (request-log-store.ts). */
  blobs?: BlobStager;
  /** Runs after the connections closed (stops the PGlite worker). */
  onClose?: () => Promise<void>;
}

export const schemaNamePattern = /^[a-z_][a-z0-9_]{0,62}$/;

async function checkPepper(db: Database, pepper: string): Promise<void> {
  const fingerprint = pepperFingerprint(pepper);
  await db.insert(storeMeta).values({ key: 'pepper_fingerprint', value: fingerprint }).onConflictDoNothing();
  const [stored] = await db.select().from(storeMeta).where(eq(storeMeta.key, 'pepper_fingerprint'));
  if (stored?.value !== fingerprint) {
    throw new Error(
      'The key pepper is not the one the stored API keys were hashed with, so every key would be rejected. ' +
        'Set SWITCHYARD_KEY_PEPPER (or auth.key_pepper) to the original pepper; to start over with new keys, ' +
        "delete the store_meta row 'pepper_fingerprint' and revoke the old keys.",
    );
  }
}

/**
 * PostgreSQL: a pool. PGlite: one client at a time, reopened after the worker restarts (pglite-client.ts). PGlite is a single session and pglite-socket
 * multiplexes its clients; a pool would drop its connection after every failed query (pg-pool discards a client
 * that errored) and reconnect, and a reconnect racing the old connection's teardown can leave the multiplexer
 * waiting on a client that is gone. `pg.Client` queues queries itself, so they still run one at a time.
 */
async function connect(options: SqlStoreOptions, client: pg.ClientConfig): Promise<pg.Pool | pg.Client> {
  const { kind, log } = options;
  const onError = (error: Error) => log.warn('store connection error', { store: kind, error: error.message });
  if (kind === 'postgres') return new pg.Pool({ ...client, max: options.poolSize, idleTimeoutMillis: 30_000 }).on('error', onError);
  const single = new ReconnectingClient(client, options.availability ?? new Availability('pglite'), onError);
  await single.connect();
  // drizzle and the migrator only call `query` on a non-pool client, which ReconnectingClient passes through.
  return single as unknown as pg.Client;
}

export async function openSqlStores(options: SqlStoreOptions): Promise<Stores> {
  const { kind, log } = options;
  const schema = kind === 'pglite' ? 'public' : options.schema;
  if (!schemaNamePattern.test(schema)) throw new Error(`store schema "${schema}" must match ${schemaNamePattern.source}`);
  const statementTimeoutMs = options.statementTimeoutMs ?? 30_000;
  const client: pg.ClientConfig = {
    application_name: 'switchyard',
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    ...options.client,
    ...(kind === 'postgres'
      ? {
          options: `-c search_path=${schema}`,
          statement_timeout: statementTimeoutMs,
          // The server's timeout cannot fire when the network is what failed: the client gives up a little later.
          query_timeout: statementTimeoutMs + 1000,
        }
      : {}),
  };
  const changes = new ChangeEmitter();
  let connection: pg.Pool | pg.Client | undefined;
  let listener: ChangeListener | undefined;
  try {
    connection = await connect(options, client);
    await applyMigrations(connection, schema);
    const db = drizzle({ client: connection });
    await checkPepper(db, options.pepper);
    if (kind === 'postgres') {
      listener = new ChangeListener(client, schema, (change) => changes.emit(change), log, {
        heartbeatMs: options.heartbeatMs ?? 5000,
        heartbeatTimeoutMs: statementTimeoutMs,
      });
      await listener.start();
    }
    const hashKey = keyHasher(options.pepper);
    let closing: Promise<void> | undefined;
    return {
      kind,
      tenants: guardAvailability(new SqlTenantStore(db, changes), kind),
      keys: guardAvailability(new SqlKeyStore(db, hashKey, changes), kind),
      changes,
      requestLog: new SqlRequestLogStore(db, options.blobs),
      spend: new SqlSpendStore(db),
      hashKey,
      ...(options.availability ? { availability: options.availability } : {}),
      close() {
        closing ??= (async () => {
          await listener?.close();
          await connection!.end();
          await options.onClose?.();
        })();
        return closing;
      },
    };
  } catch (error) {
    await listener?.close();
    await connection?.end().catch(() => undefined);
    await options.onClose?.();
    throw error;
  }
}
