/**
 * The remote half of the change feed on PostgreSQL: one dedicated connection LISTENs on `switchyard_changes`
 * (fed by the triggers of migration 0001). Notifications arrive right after the writing transaction commits, so
 * another replica's revocation reaches this one's key cache in milliseconds. If the connection drops (or a
 * heartbeat fails) notifications may have been missed: it reconnects with backoff (250 ms doubling to 1 s, so
 * a recovered database is noticed within about a second) and emits `resync`.
 */
import pg from 'pg';
import type { StoreChange, StoreLogger } from '../types.js';

export const CHANGE_CHANNEL = 'switchyard_changes';
const INITIAL_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 1000;

export interface ChangeListenerOptions {
  /** How often the connection is checked with `select 1`. */
  heartbeatMs: number;
  /** How long that check may take before the connection counts as lost. */
  heartbeatTimeoutMs: number;
}

interface Payload {
  schema: string;
  table: string;
  id: string;
  tenant_id: string;
  version: number;
  removed: boolean;
}

export function changeFromPayload(text: string, schema: string): StoreChange | undefined {
  let payload: Payload;
  try {
    payload = JSON.parse(text) as Payload;
  } catch {
    return undefined;
  }
  if (payload.schema !== schema) return undefined;
  const { tenant_id: tenantId, version, removed } = payload;
  if (payload.table === 'tenants') return { kind: 'tenant', tenantId, version, removed };
  if (payload.table === 'api_keys') return { kind: 'key', tenantId, keyId: payload.id, version, removed };
  return undefined;
}

export class ChangeListener {
  private client: pg.Client | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private backoffMs = INITIAL_BACKOFF_MS;
  private closed = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly schema: string,
    private readonly emit: (change: StoreChange) => void,
    private readonly log: StoreLogger,
    private readonly options: ChangeListenerOptions = { heartbeatMs: 5000, heartbeatTimeoutMs: 5000 },
  ) {}

  /** Resolves once listening; a failure here fails the store's open (the database is unreachable at start). */
  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ ...this.config, keepAlive: true, query_timeout: this.options.heartbeatTimeoutMs });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    client.on('notification', (message) => {
      if (message.channel !== CHANGE_CHANNEL || message.payload === undefined) return;
      const change = changeFromPayload(message.payload, this.schema);
      if (change !== undefined) this.emit(change);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
    this.backoffMs = INITIAL_BACKOFF_MS;
    this.heartbeat = setInterval(() => {
      client.query('select 1').catch((error: unknown) => this.lost(client, error as Error));
    }, this.options.heartbeatMs).unref();
  }

  private lost(client: pg.Client, error: Error): void {
    if (this.closed || this.client !== client) return;
    this.client = undefined;
    clearInterval(this.heartbeat);
    client.removeAllListeners('end');
    void client.end().catch(() => undefined);
    this.log.warn('store change feed lost; reconnecting (key caches reload when it is back)', { error: error.message });
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    this.retry = setTimeout(() => {
      this.connect().then(
        () => {
          this.log.info('store change feed reconnected');
          this.emit({ kind: 'resync' });
        },
        (error: unknown) => {
          // One line for the first failed attempt, not one per attempt for the length of the outage.
          if (this.backoffMs === INITIAL_BACKOFF_MS) {
            this.log.warn('store change feed still down; retrying every second', { error: (error as Error).message });
          }
          this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
          this.scheduleReconnect();
        },
      );
    }, this.backoffMs).unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    clearInterval(this.heartbeat);
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    }
  }
}
