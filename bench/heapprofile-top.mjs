#!/usr/bin/env node
// Top allocation sites of a V8 .heapprofile (from `node --heap-prof`): sampled bytes allocated per function.
//   node bench/heapprofile-top.mjs <file.heapprofile> [rows]
import { readFileSync } from 'node:fs';

const [file, rows = '25'] = process.argv.slice(2);
const { head } = JSON.parse(readFileSync(file, 'utf8'));
const bySite = new Map();
let total = 0;
const where = (url) => url.replace(/^file:\/\/.*?\/(node_modules|dist|src)\//, '$1/');
(function walk(node) {
  const size = node.selfSize ?? 0;
  if (size > 0) {
    const { functionName, url, lineNumber } = node.callFrame;
    const site = `${functionName || '(anonymous)'} ${where(url)}:${lineNumber + 1}`;
    bySite.set(site, (bySite.get(site) ?? 0) + size);
    total += size;
  }
  for (const child of node.children ?? []) walk(child);
})(head);
console.log(`allocation sites by sampled bytes (${(total / 1024 / 1024).toFixed(1)} MB sampled)`);
for (const [site, size] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, Number(rows))) {
  console.log(`${((100 * size) / total).toFixed(1).padStart(5)}%  ${site}`);
}
