// Preload for bench/rss-trace.sh: every MEMORY_REPORT_MS (default 1000) appends one JSON line with
// process.memoryUsage() and the process's VmRSS/VmHWM to MEMORY_REPORT_OUT, so heap, external and array
// buffers can be set against RSS over a load without --inspect. With MEMORY_REPORT_MODULES=1 it also counts the
// ES modules loaded (a resolve hook in the loader thread), written once at exit to MEMORY_REPORT_OUT.modules.
//   node --import ./bench/memory-report.mjs dist/main.js
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { register } from 'node:module';
import { getHeapSpaceStatistics } from 'node:v8';
import { setInterval } from 'node:timers';
import { MessageChannel } from 'node:worker_threads';

const out = process.env.MEMORY_REPORT_OUT;
if (out) {
  const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
  const mb = (bytes) => Math.round(bytes / 1048576 * 10) / 10;
  const started = Date.now();
  const sample = () => {
    const m = process.memoryUsage();
    const line = { t_s: (Date.now() - started) / 1000, rss: mb(m.rss), hwm: Math.round(kb('VmHWM') / 102.4) / 10, heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers) };
    // Committed size per V8 space (new = the two semi-spaces the scavenger copies between; old = mark-compacted).
    for (const space of getHeapSpaceStatistics()) line[space.space_name.replace('_space', '')] = mb(space.physical_space_size);
    appendFileSync(out, JSON.stringify(line) + '\n');
  };
  setInterval(sample, Number(process.env.MEMORY_REPORT_MS ?? 1000)).unref();
  sample();
  if (process.env.MEMORY_REPORT_MODULES === '1') {
    const { port1, port2 } = new MessageChannel();
    const loaded = new Set();
    port1.on('message', (url) => loaded.add(url));
    port1.unref();
    register('data:text/javascript,' + encodeURIComponent(`let port; export function initialize(data) { port = data.port; }
      export async function resolve(specifier, context, next) { const r = await next(specifier, context); port.postMessage(r.url); return r; }`), { data: { port: port2 }, transferList: [port2] });
    const dump = () => writeFileSync(`${out}.modules`, [...loaded].sort().join('\n') + '\n');
    process.on('SIGUSR1', dump);
    process.on('exit', dump);
  }
}
