#!/usr/bin/env node
/**
 * Process entry: load config, open the tenant/key store and its in-memory key cache, start the gateway and its
 * HTTP edge, reload on change/SIGHUP, drain on SIGTERM.
 */
import { once } from 'node:events';
import { loadConfig } from './config/load.js';
import { watchConfig } from './config/watch.js';
import { startGateway } from './gateway.js';
import { closeNodeServer, createNodeServer } from './api/node-server.js';
import { log } from './observability/log.js';
import { openStores } from './stores/open.js';
import { KeyCache } from './stores/key-cache.js';

/** `PORT` (the platform convention: Heroku, Cloud Run, Kubernetes charts) wins over `server.port`. */
function listenPort(configured: number): number {
  const fromEnv = process.env.PORT;
  if (fromEnv === undefined || fromEnv === '') return configured;
  const port = Number(fromEnv);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be an integer 0-65535, got "${fromEnv}"`);
  return port;
}

async function main(): Promise<void> {
  const { config, path } = loadConfig();
  const stores = await openStores(config.store, config.auth.key_pepper, process.env, log, config.request_log.memory_records);
  const keys = await KeyCache.start(stores, { log });
  const gateway = startGateway(config, { processMetrics: true, keys, stores });
  const server = createNodeServer(gateway);
  server.listen(listenPort(config.server.port), config.server.host);
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.server.port;
  log.info('switchyard listening', {
    url: `http://${config.server.host === '0.0.0.0' ? '127.0.0.1' : config.server.host}:${port}`,
    config: path ?? 'built-in demo (sim provider; no switchyard.yaml found)',
    models: Object.keys(config.models).length,
    auth: config.auth.master_key || keys.hasTenants ? 'master key and tenant keys' : 'open (demo mode: no master key, no tenants)',
    store: stores.kind,
    keys: keys.size,
  });

  const watcher =
    path === undefined
      ? undefined
      : watchConfig(
          path,
          (next) => {
            const { port, host } = gateway.config().server;
            if (next.server.port !== port || next.server.host !== host) {
              log.warn('server.port and server.host changes take effect after a restart', { port, host });
            }
            const current = gateway.config();
            if (JSON.stringify(next.store) !== JSON.stringify(current.store) || next.auth.key_pepper !== current.auth.key_pepper) {
              log.warn('store and auth.key_pepper changes take effect after a restart');
            }
            return gateway.reload(next);
          },
          (event) => (event.ok ? log.info(event.message) : log.error(event.message)),
        );
  process.on('SIGHUP', () => (watcher ? watcher.reload() : log.warn('SIGHUP ignored: running the built-in demo config, no file to reload')));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('draining in-flight requests', { signal, grace_ms: gateway.config().server.shutdown_grace_ms });
    watcher?.close();
    await closeNodeServer(server, gateway);
    await keys.close();
    await stores.close();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/** `switchyard <command>` (e.g. `switchyard plan`) runs a CLI command; no arguments starts the gateway. */
async function run(): Promise<void> {
  const command = process.argv[2];
  if (command === undefined) return main();
  if (command === 'sim') {
    // Long-running, so it is not one of runCli's synchronous commands.
    const { runSimCli } = await import('./cli/sim.js');
    process.exitCode = await runSimCli(process.argv.slice(3));
    return;
  }
  const { runCliAsync } = await import('./cli/index.js');
  const result = await runCliAsync(process.argv.slice(2));
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  process.exitCode = result.exitCode;
}

run().catch((error: unknown) => {
  log.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
