/** Starts a real gateway on a loopback port for a test, and stops it after. */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { closeNodeServer, createNodeServer } from '../../src/api/node-server.js';
import { parseConfig } from '../../src/config/load.js';
import type { SwitchyardConfigInput } from '../../src/config/schema.js';
import { startGateway, type Gateway, type GatewayOptions } from '../../src/gateway.js';

export interface RunningGateway {
  url: string;
  gateway: Gateway;
  close(graceMs?: number): Promise<void>;
}

export async function startTestGateway(input: SwitchyardConfigInput, options: GatewayOptions = {}): Promise<RunningGateway> {
  const config = parseConfig({ ...input, server: { host: '127.0.0.1', port: 0, ...input.server } }, process.env, 'test');
  const gateway = startGateway(config, options);
  const server = createNodeServer(gateway);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    gateway,
    close: (graceMs = 1000) => closeNodeServer(server, gateway, graceMs),
  };
}

/** The demo-like sim config most tests start from. */
export function simConfig(overrides: Partial<SwitchyardConfigInput> = {}): SwitchyardConfigInput {
  return {
    providers: { sim: { type: 'sim', ttft_ms: 0, itl_ms: 0 } },
    models: {
      'sim-small': { deployments: [{ provider: 'sim', model: 'sim-small' }] },
      'sim-embed': { deployments: [{ provider: 'sim', model: 'sim-embed' }], kind: 'embedding' },
    },
    aliases: { fast: { targets: [{ model: 'sim-small' }] } },
    ...overrides,
  };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}
