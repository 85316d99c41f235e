/**
 * Library entry. `createGateway(config)` validates the config and returns a web-standard fetch handler and a
 * `node:http` listener (plus `close()` / `reload()`), so Switchyard mounts inside an existing Node, Hono or
 * Next.js server. See docs/library.md.
 */
import { createFetchHandler, type FetchHandler } from './api/fetch-handler.js';
import { createNodeHandler, type NodeHandler } from './api/node-server.js';
import { createGatewayFromInput, type Gateway, type GatewayOptions } from './gateway.js';
import { parseConfig } from './config/load.js';
import type { SwitchyardConfig, SwitchyardConfigInput } from './config/schema.js';

export interface MountedGateway {
  /** Handles one request: `(Request) => Promise<Response>`. */
  fetch: FetchHandler;
  /** The same as a `node:http` request listener: no web Request/Response conversion on the way. */
  nodeHandler: NodeHandler;
  /** Validates and applies a new config; in-flight requests finish on the old one. */
  reload(config: SwitchyardConfigInput): Promise<void>;
  /** Drains in-flight requests (up to the grace period) and releases upstream connections. */
  close(graceMs?: number): Promise<void>;
  /** The underlying gateway (metrics, config, node:http edge via `createNodeServer`). */
  gateway: Gateway;
}

export function createGateway(config: SwitchyardConfigInput, options?: GatewayOptions): MountedGateway {
  const gateway = createGatewayFromInput(config, options);
  return {
    fetch: createFetchHandler(gateway),
    nodeHandler: createNodeHandler(gateway),
    // async, so an invalid config is a rejected promise (as the signature says), not a synchronous throw.
    reload: async (next) => gateway.reload(parseConfig(next, process.env, 'reload() config')),
    close: (graceMs) => gateway.close(graceMs),
    gateway,
  };
}

export { defineConfig, parseConfig, parseConfigYaml, loadConfigFile, ConfigError } from './config/load.js';
export { createNodeHandler, createNodeServer, closeNodeServer } from './api/node-server.js';
export { startGateway } from './gateway.js';
export { GatewayError } from './core/errors.js';
export type { ChunkStream, ProviderAdapter, Relayed, UpstreamCall } from './core/provider.js';
export { RawFrame } from './core/provider.js';
export type { SwitchyardConfig, SwitchyardConfigInput, Gateway, GatewayOptions, FetchHandler, NodeHandler };
