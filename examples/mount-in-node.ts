/**
 * Library mode with plain `node:http`: an existing server hands everything under `/llm` to Switchyard's
 * `node:http` listener (the fast path: no web Request/Response conversion) and serves its own routes itself.
 * Run it with `npx tsx examples/mount-in-node.ts`, then:
 *
 *   curl -s http://127.0.0.1:3001/llm/v1/chat/completions -H 'content-type: application/json' \
 *     -d '{"model":"fast","messages":[{"role":"user","content":"Hello"}],"stream":true}'
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
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

const mountPath = '/llm';

export async function start(options: { port?: number; config?: SwitchyardConfigInput } = {}): Promise<RunningExample> {
  const gateway = createGateway(options.config ?? exampleConfig);

  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === mountPath || url.startsWith(`${mountPath}/`)) {
      // The gateway routes on its own paths, so strip the mount prefix first.
      req.url = url.slice(mountPath.length) || '/';
      void gateway.nodeHandler(req, res);
      return;
    }
    if (req.method === 'GET' && url === '/hello') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'hello from the app' }));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });

  server.listen(options.port ?? 3001, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    mountPath,
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
