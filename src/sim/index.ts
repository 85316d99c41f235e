/**
 * `sim`: an OpenAI-compatible inference server whose timing comes from the capacity model (DESIGN.md §9).
 *
 * Public API (stable; the routing benchmark runs several of these in one process):
 *
 *   const sim = await startSimEngine({ model: 'llama-3.1-8b', gpu: 'h100', timeScale: 0.01 });
 *   sim.url      // 'http://127.0.0.1:PORT' — OpenAI base URL is `${sim.url}/v1`; also /health and /metrics
 *   sim.engine   // SimEngine: snapshot() (running, waiting, kvCacheUsage, virtual time…), config.capacity
 *   sim.registry // its own prom-client Registry (vLLM metric names, `model_name` label)
 *   await sim.close()
 *
 * Options (all optional; vLLM's flags camel-cased): model, gpu, tp, dtype, kvDtype, timeScale (real seconds per
 * virtual second; 0.01 = 100× faster), maxNumSeqs, maxNumBatchedTokens, blockSize, gpuMemoryUtilization,
 * maxModelLen, numGpuBlocks, enablePrefixCaching, seed, meanOutputTokens, maxWaitingRequests, servedModelName,
 * port (0 = any free port), host (default 127.0.0.1). Invalid options reject with a SimConfigError.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { SimEngine } from './engine.js';
import { resolveEngineConfig, type SimEngineOptions } from './engine-config.js';
import { createEngineMetrics } from './engine-metrics.js';
import { createSimServer } from './http-server.js';

export { SimEngine, type EngineSnapshot } from './engine.js';
export { SimConfigError, resolveEngineConfig, type EngineCapacity, type EngineConfig, type SimEngineOptions } from './engine-config.js';

export interface RunningSimEngine {
  /** `http://host:port`, no trailing slash. */
  url: string;
  engine: SimEngine;
  registry: Registry;
  /** Aborts in-flight requests, stops listening and resolves when the server has closed. */
  close(): Promise<void>;
}

export async function startSimEngine(options: SimEngineOptions = {}): Promise<RunningSimEngine> {
  const config = resolveEngineConfig(options);
  const engine = new SimEngine(config);
  const { registry, observer } = createEngineMetrics(engine);
  engine.observe(observer);
  const server = createSimServer(engine, registry);
  server.listen(config.options.port, config.options.host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const host = config.options.host === '0.0.0.0' || config.options.host === '::' ? '127.0.0.1' : config.options.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    engine,
    registry,
    close() {
      closing ??= (async () => {
        engine.close();
        server.closeAllConnections();
        server.close();
        await once(server, 'close');
      })();
      return closing;
    },
  };
}
