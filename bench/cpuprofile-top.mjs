#!/usr/bin/env node
// Top self-time of a V8 .cpuprofile (from `node --cpu-prof`), by function and by file.
//   node bench/cpuprofile-top.mjs <file.cpuprofile> [rows]
import { readFileSync } from 'node:fs';

const [file, rows = '30'] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const ticks = new Map();
for (const id of profile.samples) ticks.set(id, (ticks.get(id) ?? 0) + 1);
const total = profile.samples.length;
const byFunction = new Map();
const byFile = new Map();
const where = (url) => url.replace(/^file:\/\/.*?\/(node_modules|dist|src)\//, '$1/').replace(/^node:/, 'node:');
for (const [id, count] of ticks) {
  const { callFrame } = byId.get(id);
  const name = `${callFrame.functionName || '(anonymous)'} ${where(callFrame.url)}:${callFrame.lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + count);
  const module = callFrame.url === '' ? callFrame.functionName : where(callFrame.url);
  byFile.set(module, (byFile.get(module) ?? 0) + count);
}
const print = (title, map) => {
  console.log(`\n${title} (${total} samples)`);
  for (const [name, count] of [...map].sort((a, b) => b[1] - a[1]).slice(0, Number(rows))) {
    console.log(`${((100 * count) / total).toFixed(1).padStart(5)}%  ${name}`);
  }
};
print('self time by function', byFunction);
print('self time by file', byFile);
