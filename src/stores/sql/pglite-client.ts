/**
 * PGlite's one connection, reopened after it breaks: when the supervised worker (pglite.ts) dies, the socket
 * closes and the client errors; the next query opens a fresh client on the restarted worker's socket. While the
 * worker is known to be down, queries fail at once with a "not queryable" error (503 store_unavailable via
 * unavailable.ts) instead of waiting on a connect that cannot succeed. Still one client at a time: PGlite is a
 * single session (see index.ts `connect`).
 */
import pg from 'pg';
import type { Availability } from '../../core/availability.js';

export class ReconnectingClient {
  private current: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private ended = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly worker: Availability,
    private readonly onError: (error: Error) => void,
  ) {}

  /** Opens the first connection (a failure here fails startup). */
  async connect(): Promise<void> {
    await this.client();
  }

  /** What drizzle calls (`client.query(config, params)`), passed to the live client. */
  async query(config: pg.QueryConfig, values?: unknown[]): Promise<pg.QueryResult> {
    const client = await this.client();
    return client.query(config, values);
  }

  async end(): Promise<void> {
    this.ended = true;
    const client = this.current ?? (await this.connecting?.catch(() => undefined));
    this.current = undefined;
    await client?.end().catch(() => undefined);
  }

  private client(): Promise<pg.Client> {
    if (this.ended) return Promise.reject(new Error('The embedded database connection is closed and not queryable.'));
    if (this.current) return Promise.resolve(this.current);
    if (!this.worker.up) {
      return Promise.reject(new Error('The embedded database worker is restarting; the connection is not queryable.'));
    }
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async open(): Promise<pg.Client> {
    const client = new pg.Client(this.config);
    const drop = () => {
      if (this.current === client) this.current = undefined;
    };
    client.on('error', (error) => {
      drop();
      this.onError(error);
    });
    client.on('end', drop);
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.current = client;
    return client;
  }
}
