#!/usr/bin/env node
// In-process A/B of the dispatch path (bench/RESULTS.md): `gateway.handle()` on the sim provider (no sockets, no
// upstream HTTP), for two or more builds loaded into ONE process and run alternately, c8, CPU µs per request.
// On a shared, busy machine the whole-gateway CPU per request (bench/profile.sh) moves by ±50% between runs;
// builds measured side by side in one process see the same load, so their ratio holds. Covers dispatch,
// body parsing and validation, routing, the attempt loop, response building and metrics; not node:http or undici.
//   git archive <ref> src tsconfig.json tsconfig.build.json | tar -x -C .bench-out/ref-src
//   (cd .bench-out/ref-src && npx tsc -p tsconfig.build.json --outDir ../dist-ref)
//   npx tsc -p tsconfig.build.json --outDir .bench-out/dist-new
//   node bench/dispatch-ab.mjs .bench-out/dist-ref .bench-out/dist-new    (then swap the order once)
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const dists = process.argv.slice(2);
if (dists.length === 0) throw new Error('usage: node bench/dispatch-ab.mjs <dist> [<dist> ...]');
const config = {
  providers: { sim: { type: 'sim', ttft_ms: 0, itl_ms: 0 } },
  models: { 'gpt-4o-mini': { deployments: [{ provider: 'sim', model: 'gpt-4o-mini' }] } },
  store: { driver: 'memory' },
  request_log: { enabled: false },
};
const gateways = [];
for (const dist of dists) {
  const { createGatewayFromInput } = await import(pathToFileURL(path.resolve(dist, 'gateway.js')).href);
  gateways.push(createGatewayFromInput(config));
}
const body = Buffer.from(JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello to the benchmark.' }], max_tokens: 8 }));

async function one(gateway) {
  const controller = new globalThis.AbortController();
  const untrack = gateway.track(controller);
  const response = await gateway.handle({ method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body, controller, requestId: 'ab' });
  if (response.status !== 200) throw new Error(`${response.status} ${response.body}`);
  response.finish?.();
  untrack();
}

/** CPU µs per request over `requests`, eight at a time. */
async function run(gateway, requests) {
  const start = process.cpuUsage();
  for (let done = 0; done < requests; done += 8) await Promise.all(Array.from({ length: 8 }, () => one(gateway)));
  const used = process.cpuUsage(start);
  return (used.user + used.system) / requests;
}

for (const gateway of gateways) await run(gateway, 4000); // warm-up: JIT and first-use series
const rounds = 6;
const sums = dists.map(() => 0);
for (let round = 0; round < rounds; round++) {
  const line = [];
  for (const [index, gateway] of gateways.entries()) {
    const us = await run(gateway, 8000);
    sums[index] += us;
    line.push(`${dists[index]} ${us.toFixed(1)} µs`);
  }
  console.log(line.join('   '));
}
console.log(`mean: ${dists.map((dist, index) => `${dist} ${(sums[index] / rounds).toFixed(1)} µs`).join('   ')}`);
process.exit(0);
