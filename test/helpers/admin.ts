/**
 * A real gateway with a tenant store and its key cache, for the admin API tests, and a small JSON client that
 * calls it with a given key.
 */
import { KeyCache } from '../../src/stores/key-cache.js';
import type { Stores } from '../../src/stores/types.js';
import type { SwitchyardConfigInput } from '../../src/config/schema.js';
import { simConfig, startTestGateway, type RunningGateway } from './server.js';
import { recordingLog } from './stores.js';

export const MASTER_KEY = 'sk-master-admin-api-tests';

export interface AdminReply<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export interface AdminGateway {
  readonly url: string;
  readonly stores: Stores;
  readonly cache: KeyCache;
  readonly gw: RunningGateway;
  /** Calls the gateway with `key` (default: the master key) and parses the JSON reply. */
  call<T = Record<string, unknown>>(method: string, path: string, options?: { key?: string | null; body?: unknown; raw?: string }): Promise<AdminReply<T>>;
  close(): Promise<void>;
}

export async function startAdminGateway(openStores: () => Promise<Stores>, overrides: Partial<SwitchyardConfigInput> = {}): Promise<AdminGateway> {
  const stores = await openStores();
  const cache = await KeyCache.start(stores, { log: recordingLog() });
  const gw = await startTestGateway(simConfig({ auth: { master_key: MASTER_KEY }, ...overrides }), { keys: cache, stores });
  return {
    url: gw.url,
    stores,
    cache,
    gw,
    async call<T>(method: string, path: string, options: { key?: string | null; body?: unknown; raw?: string } = {}) {
      const key = options.key === undefined ? MASTER_KEY : options.key;
      const headers: Record<string, string> = {};
      if (key !== null) headers.authorization = `Bearer ${key}`;
      let body: string | undefined = options.raw;
      if (options.body !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(options.body);
      }
      const response = await fetch(`${gw.url}${path}`, { method, headers, body });
      const text = await response.text();
      return { status: response.status, body: (text === '' ? {} : JSON.parse(text)) as T, headers: response.headers };
    },
    async close() {
      await gw.close();
      await cache.close();
      // A test may have closed the store already (to see the admin API without it).
      await stores.close().catch(() => undefined);
    },
  };
}
