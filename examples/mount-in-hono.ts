/**
 * Library mode with Hono: Switchyard's web fetch handler mounted under `/llm` of an existing Hono app, next to
 * the app's own routes. Run it with `npx tsx examples/mount-in-hono.ts`, then:
 *
 *   curl -s http://127.0.0.1:3000/llm/v1/chat/completions -H 'content-type: application/json' \
 *     -d '{"model":"fast","messages":[{"role":"user","content":"Hello"}]}'
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
// In your app: `from 'switchyard'`.
import { closeNodeServer, createGateway, defineConfig, type MountedGateway, type SwitchyardConfigInput } from '../src/index.js';

export const exampleConfig = defineConfig({
  providers: { sim: { type: 'sim', ttft_ms: 10, itl_ms: 5 } },
  models: { 'sim-small': { deployments: [{ provider: 'sim', model: 'sim-small' }] } },
  aliases: { fast: { targets: [{ model: 'sim-small' }] } },
});

export interface RunningExample {
  url: string;
  /** Where the gateway is mounted: its routes are `${url}${mountPath}/v1/...`. */
  mountPath: string;
  gateway: MountedGateway;
  close(graceMs?: number): Promise<void>;
}

export async function start(options: { port?: number; config?: SwitchyardConfigInput } = {}): Promise<RunningExample> {
  const gateway = createGateway(options.config ?? exampleConfig);

  const app = new Hono();
  app.get('/hello', (c) => c.json({ message: 'hello from the app' }));
  // `mount` strips the prefix, so the gateway sees its own paths (`/v1/chat/completions`, `/metrics`, ...).
  app.mount('/llm', gateway.fetch);

  const server = serve({ fetch: app.fetch, port: options.port ?? 3000, hostname: '127.0.0.1' }) as Server;
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    mountPath: '/llm',
    gateway,
    // Stop accepting, let in-flight requests and streams finish (up to the grace period), then close.
    close: (graceMs = 5000) => closeNodeServer(server, gateway.gateway, graceMs),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const running = await start();
  console.log(`app on ${running.url}/hello, gateway on ${running.url}${running.mountPath}/v1`);
  process.once('SIGINT', () => void running.close());
}
