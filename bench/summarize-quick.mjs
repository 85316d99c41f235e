// Prints Switchyard's key figures next to the pass-through's from two gwbench results.json files.
import { readFileSync } from 'node:fs';

const [ceilingFile, gatewayFile] = process.argv.slice(2);
const load = (file) => JSON.parse(readFileSync(file, 'utf8'));
const ceiling = load(ceilingFile);
const gateway = load(gatewayFile);
const scenario = (results, mode) => results.summary.find((row) => row.mode === mode && row.c === 16);
const fixed = (value, digits = 3) => (value === null || value === undefined ? 'n/a' : value.toFixed(digits));

const rows = [];
for (const mode of ['nonstream', 'stream']) {
  const c = scenario(ceiling, mode);
  const g = scenario(gateway, mode);
  rows.push([
    `${mode} c16`,
    fixed(c.gateway.gw_cpu_ms_per_req),
    fixed(g.gateway.gw_cpu_ms_per_req),
    fixed(g.gateway.gw_cpu_ms_per_req / c.gateway.gw_cpu_ms_per_req, 2),
    fixed(c.overhead.rps_ratio),
    fixed(g.overhead.rps_ratio),
    fixed(g.overhead.rps_ratio / c.overhead.rps_ratio, 2),
  ]);
}
const unloaded = (results, mode, key) => {
  const seq = results.seq[mode];
  return seq.gateway[key].p50 - seq.direct[key].p50;
};
console.log('| scenario | ceiling cpu ms/req | switchyard cpu ms/req | cpu × ceiling | ceiling rps_ratio | switchyard rps_ratio | share of ceiling (target ≥ 0.70) |');
console.log('|---|---|---|---|---|---|---|');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
console.log();
console.log(`unloaded added latency p50: ceiling +${fixed(unloaded(ceiling, 'nonstream', 'latency'), 2)} ms, switchyard +${fixed(unloaded(gateway, 'nonstream', 'latency'), 2)} ms (target ≤ 0.40)`);
console.log(`unloaded stream first byte p50: ceiling +${fixed(unloaded(ceiling, 'stream', 'ttfb'), 2)} ms, switchyard +${fixed(unloaded(gateway, 'stream', 'ttfb'), 2)} ms (target ≤ 0.60)`);
console.log(`RSS after load: ceiling ${fixed(ceiling.memory?.after?.rss_mb, 0)} MB, switchyard ${fixed(gateway.memory?.after?.rss_mb, 0)} MB (target ≤ 150)`);
