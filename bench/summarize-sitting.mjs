// The summary of one bench/sitting.sh sitting, in Markdown on stdout: every target side by side, each compared
// with the pass-through of the same sitting, then the issue 6 targets for the Switchyard configs.
//   node bench/summarize-sitting.mjs OUT_DIR                  (OUT_DIR: bench/out/<time>)
//   node bench/summarize-sitting.mjs --record SUMMARY.md RESULTS.md   (inserts SUMMARY.md above the first
//                                                                      "## " section of RESULTS.md)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const TARGETS = ['passthrough', 'portkey', 'bare', 'full-embedded', 'full-cluster'];
const SWITCHYARD = ['bare', 'full-embedded', 'full-cluster'];
/** Issue 6 targets. */
const GOAL = { share: 0.7, unloadedP50: 0.4, unloadedP99: 1.0, streamFirstByteP50: 0.6, clusterOverEmbeddedP50: 0.5, rssAfterMb: 150 };

const args = process.argv.slice(2);
if (args[0] === '--record') {
  const [summaryFile, resultsFile] = args.slice(1);
  if (!summaryFile || !resultsFile) throw new Error('usage: summarize-sitting.mjs --record SUMMARY.md RESULTS.md');
  const summary = readFileSync(summaryFile, 'utf8').trimEnd();
  const results = readFileSync(resultsFile, 'utf8');
  const at = results.search(/^## /m);
  const next = at < 0 ? `${results.trimEnd()}\n\n${summary}\n` : `${results.slice(0, at)}${summary}\n\n${results.slice(at)}`;
  writeFileSync(resultsFile, next);
  process.exit(0);
}

const outDir = args[0];
if (!outDir || !existsSync(outDir)) throw new Error('usage: summarize-sitting.mjs OUT_DIR');
const read = (file) => (existsSync(path.join(outDir, file)) ? readFileSync(path.join(outDir, file), 'utf8') : undefined);
const results = Object.fromEntries(
  TARGETS.map((name) => {
    const text = read(`${name}/results.json`);
    return [name, text === undefined ? undefined : JSON.parse(text)];
  }),
);
const present = TARGETS.filter((name) => results[name] !== undefined);
const attempted = TARGETS.filter((name) => read(`${name}.log`) !== undefined);

// --- number formatting ---
const num = (value, digits = 2) => (value === undefined || value === null || Number.isNaN(value) ? '–' : value.toFixed(digits));
const signed = (value, digits = 2) => (value === undefined || value === null || Number.isNaN(value) ? '–' : `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`);
const int = (value) => (value === undefined || value === null ? '–' : Math.round(value).toLocaleString('en-US'));
const pair = (a, b) => `${a} / ${b}`;

// --- what one results.json says ---
const scenario = (r, mode, c) => r?.summary.find((row) => row.mode === mode && row.c === c);
const concurrencies = [...new Set(present.flatMap((name) => results[name].summary.map((row) => row.c)))].sort((a, b) => a - b);
const unloaded = (r, mode, field, q) => {
  const seq = r?.seq?.[mode];
  if (!seq?.gateway || !seq?.direct) return undefined;
  return seq.gateway[field][q] - seq.direct[field][q];
};
const peakMb = (r) => Math.max(0, ...(r?.runs ?? []).filter((run) => run.gw_mem).map((run) => run.gw_mem.main_hwm_mb), r?.memory?.after?.main_hwm_mb ?? 0);
const failedRequests = (r) => (r?.summary ?? []).reduce((sum, row) => sum + (row.gateway?.failed ?? 0), 0);
const flags = (r) => [...new Set((r?.summary ?? []).flatMap((row) => row.gateway?.upstream_flags ?? []))];
const skipped = (r) => (r?.runs ?? []).filter((run) => run.target === 'gateway' && run.skipped).length;
const share = (name, mode, c) => {
  const ratio = scenario(results[name], mode, c)?.overhead?.rps_ratio;
  const ceiling = scenario(results.passthrough, mode, c)?.overhead?.rps_ratio;
  return ratio === undefined || ceiling === undefined ? undefined : ratio / ceiling;
};
const perConcurrency = (fn) => concurrencies.map(fn).join(' / ');

// --- header ---
const meta = results[present[0]]?.meta;
const options = meta?.options;
const lines = [];
const first = present.map((name) => results[name].meta.date).sort()[0];
const label = results.bare?.meta.label ?? results['full-embedded']?.meta.label ?? results['full-cluster']?.meta.label ?? '';
const commit = label.match(/^switchyard-([0-9a-f]+)-/)?.[1];
lines.push(`## Sitting ${first ? `${first.slice(0, 16).replace('T', ' ')} UTC` : path.basename(outDir)}${commit ? ` — Switchyard ${commit}` : ''} (\`npm run bench:sitting\`)`);
lines.push('');
if (options) {
  lines.push(
    `gwbench, ${options.duration} s × ${options.reps} reps (warm-up ${options.warmup} s) per scenario at c=${concurrencies.join(',')}, ` +
      `${options.seq} unloaded requests per mode, mock delay ${options['mock-delay-ms']} ms / ${options['mock-chunks']} chunks / ITL ${options['mock-itl-ms']} ms, ` +
      `${meta.pinned ? 'pinned (gateway CPU1, load generator + mock CPU0)' : 'NOT pinned'}. Medians across reps. ` +
      '"× pass-through": relative to the pass-through ceiling measured in this same sitting.',
  );
  lines.push('');
}
const missing = TARGETS.filter((name) => attempted.includes(name) && !present.includes(name));
if (missing.length > 0) {
  lines.push(`**Failed runs (no results): ${missing.join(', ')}** — see their .log files.`);
  lines.push('');
}
const machine = read('machine.md');
if (machine) lines.push(machine.trimEnd(), '');
const commands = read('commands.sh');
if (commands) lines.push('### Commands', '', '```bash', commands.trimEnd(), '```', '');

// --- the side-by-side table ---
const cols = present;
const row = (title, fn) => lines.push(`| ${title} | ${cols.map((name) => fn(results[name], name)).join(' | ')} |`);
lines.push('### Results');
lines.push('');
lines.push(`| | ${cols.map((name) => (SWITCHYARD.includes(name) ? `**${name}**` : name)).join(' | ')} |`);
lines.push(`|---|${cols.map(() => '---').join('|')}|`);
for (const mode of ['nonstream', 'stream']) {
  const what = mode === 'stream' ? 'streams/s' : 'rps';
  row(`${what}, ${mode} c${concurrencies.join(' / c')}`, (r) => perConcurrency((c) => int(scenario(r, mode, c)?.gateway?.rps)));
  row(`rps_ratio vs direct, ${mode}`, (r) => perConcurrency((c) => num(scenario(r, mode, c)?.overhead?.rps_ratio, 3)));
  row(`rps_ratio × pass-through, ${mode} (goal ≥ ${GOAL.share})`, (_r, name) => perConcurrency((c) => num(share(name, mode, c))));
  row(`gw CPU ms/req, ${mode}`, (r) => perConcurrency((c) => num(scenario(r, mode, c)?.gateway?.gw_cpu_ms_per_req, 3)));
  row(`gw CPU × pass-through, ${mode}`, (r) =>
    perConcurrency((c) => num(scenario(r, mode, c)?.gateway?.gw_cpu_ms_per_req / scenario(results.passthrough, mode, c)?.gateway?.gw_cpu_ms_per_req)),
  );
}
const c0 = concurrencies[0];
row(`loaded Δp50 / Δp99 ms, nonstream c${c0}`, (r) => pair(signed(scenario(r, 'nonstream', c0)?.overhead?.p50_ms), signed(scenario(r, 'nonstream', c0)?.overhead?.p99_ms)));
row(`loaded stream first byte Δp50 ms, c${c0}`, (r) => signed(scenario(r, 'stream', c0)?.overhead?.ttfb_p50_ms));
row(`unloaded added latency p50 / p99 ms (goal ≤ ${GOAL.unloadedP50} / ${GOAL.unloadedP99})`, (r) => pair(signed(unloaded(r, 'nonstream', 'latency', 'p50')), signed(unloaded(r, 'nonstream', 'latency', 'p99'))));
row(`unloaded stream first byte p50 / p99 ms (goal p50 ≤ ${GOAL.streamFirstByteP50})`, (r) => pair(signed(unloaded(r, 'stream', 'ttfb', 'p50')), signed(unloaded(r, 'stream', 'ttfb', 'p99'))));
row('RSS MB listen → idle → after load (peak)', (r) => `${num(r.memory?.cold?.rss_mb, 0)} → ${num(r.memory?.idle?.rss_mb, 0)} → ${num(r.memory?.after?.rss_mb, 0)} (${num(peakMb(r), 0)})`);
row('failed requests; upstream flags; skipped runs', (r) => `${failedRequests(r)}; ${flags(r).join(',') || 'none'}; ${skipped(r)}`);
row('probe non-stream / stream / embeddings / models', (r) => [r.probe?.nonstream?.status, r.probe?.stream?.status, r.probe?.embeddings?.status, r.probe?.models?.status].join(' / '));
row('loadavg start → end; max rps cv', (r) => {
  const cv = Math.max(0, ...r.summary.flatMap((s) => [s.direct?.rps_cv ?? 0, s.gateway?.rps_cv ?? 0]));
  return `${num(r.meta.loadavg_start?.[0])} → ${num(r.meta.loadavg_end?.[0])}; ${num(cv * 100, 1)}%`;
});
lines.push('');

// --- the targets ---
const judged = SWITCHYARD.filter((name) => results[name] !== undefined);
if (judged.length > 0) {
  const verdict = (value, ok) => (value === undefined || Number.isNaN(value) ? '–' : ok ? 'pass' : '**FAIL**');
  const checks = [];
  for (const mode of ['nonstream', 'stream']) {
    for (const c of concurrencies) {
      checks.push([`rps_ratio ≥ ${GOAL.share} × pass-through, ${mode} c${c}`, (name) => {
        const value = share(name, mode, c);
        return `${num(value)} ${verdict(value, value >= GOAL.share)}`;
      }]);
    }
  }
  checks.push([`unloaded added p50 ≤ ${GOAL.unloadedP50} ms`, (name) => {
    const value = unloaded(results[name], 'nonstream', 'latency', 'p50');
    return `${signed(value, 3)} ${verdict(value, value <= GOAL.unloadedP50)}`;
  }]);
  checks.push([`unloaded added p99 ≤ ${GOAL.unloadedP99} ms`, (name) => {
    const value = unloaded(results[name], 'nonstream', 'latency', 'p99');
    return `${signed(value, 3)} ${verdict(value, value <= GOAL.unloadedP99)}`;
  }]);
  checks.push([`stream first-byte overhead p50 ≤ ${GOAL.streamFirstByteP50} ms (unloaded)`, (name) => {
    const value = unloaded(results[name], 'stream', 'ttfb', 'p50');
    return `${signed(value, 3)} ${verdict(value, value <= GOAL.streamFirstByteP50)}`;
  }]);
  checks.push([`cluster adds ≤ ${GOAL.clusterOverEmbeddedP50} ms p50 over embedded (unloaded)`, (name) => {
    if (name !== 'full-cluster') return '';
    const cluster = unloaded(results['full-cluster'], 'nonstream', 'latency', 'p50');
    const embedded = unloaded(results['full-embedded'], 'nonstream', 'latency', 'p50');
    const value = cluster === undefined || embedded === undefined ? undefined : cluster - embedded;
    return `${signed(value, 3)} ${verdict(value, value <= GOAL.clusterOverEmbeddedP50)}`;
  }]);
  checks.push([`RSS after load ≤ ${GOAL.rssAfterMb} MB`, (name) => {
    const value = results[name].memory?.after?.rss_mb;
    return `${num(value, 0)} ${verdict(value, value <= GOAL.rssAfterMb)}`;
  }]);
  checks.push(['no failed requests, no skipped runs', (name) => {
    const bad = failedRequests(results[name]) + skipped(results[name]);
    return verdict(bad, bad === 0);
  }]);
  lines.push('### Issue 6 targets');
  lines.push('');
  lines.push(`| target | ${judged.join(' | ')} |`);
  lines.push(`|---|${judged.map(() => '---').join('|')}|`);
  for (const [title, fn] of checks) lines.push(`| ${title} | ${judged.map(fn).join(' | ')} |`);
  lines.push('');
}
if (options && options.duration < 5) {
  lines.push(`**Smoke run** (${options.duration} s per run): these numbers only show that the scripts work; do not compare them.`);
  lines.push('');
}
console.log(lines.join('\n'));
