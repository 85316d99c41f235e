/**
 * PostgreSQL the test can cut under a running gateway: `own` (the gateway's stores) reaches the database through
 * a TCP proxy (`cut('blackhole')`: connections hang; `cut('refuse')`: connections reset), `other` (another
 * replica) goes straight to it, so it reads and writes what the cut replica cannot.
 */
import { openSqlStores } from '../../src/stores/sql/index.js';
import type { StoreLogger, Stores } from '../../src/stores/types.js';
import { POSTGRES_URL } from './postgres.js';
import { openPostgres, TEST_PEPPER } from './stores.js';
import { TcpProxy } from './tcp-proxy.js';

export type Cut = 'blackhole' | 'refuse';

export interface PostgresBehindProxyOptions {
  /** Names the connections in pg_stat_activity: `sy-<label>-own-<schema>` and `sy-<label>-other-<schema>`. */
  label: string;
  log: StoreLogger;
  /** The gateway's pool: how long to wait for a connection, then for a statement (default 500 ms each). */
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
  /** How often the change feed checks its connection (the stores' default when not given). */
  heartbeatMs?: number;
}

export interface PostgresBehindProxy {
  /** The gateway's stores, through the proxy (a pool of 2). */
  readonly own: Stores;
  /** Another replica's stores, never cut. */
  readonly other: Stores;
  cut(mode: Cut): void;
  /** Forwards again (connections held by a blackhole are closed). */
  resume(): void;
  close(): Promise<void>;
}

export async function openPostgresBehindProxy(schema: string, options: PostgresBehindProxyOptions): Promise<PostgresBehindProxy> {
  const proxy = await TcpProxy.start(POSTGRES_URL);
  const other = await openPostgres(schema, { applicationName: `sy-${options.label}-other-${schema}` });
  const own = await openSqlStores({
    kind: 'postgres',
    client: { connectionString: proxy.urlFor(POSTGRES_URL), application_name: `sy-${options.label}-own-${schema}` },
    schema,
    poolSize: 2,
    connectTimeoutMs: options.connectTimeoutMs ?? 500,
    statementTimeoutMs: options.statementTimeoutMs ?? 500,
    heartbeatMs: options.heartbeatMs,
    pepper: TEST_PEPPER,
    log: options.log,
  });
  return {
    own,
    other,
    cut: (mode) => (mode === 'blackhole' ? proxy.blackhole() : proxy.refuse()),
    resume: () => proxy.resume(),
    async close() {
      await own.close();
      await other.close();
      await proxy.close();
    },
  };
}
