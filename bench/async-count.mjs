// Preload for profiling runs: counts async resources (promises, ticks, timers, ...) the process creates, by
// type, and prints them to stderr at exit; SIGUSR2 resets the counts. Divided by the requests served, a deterministic measure of how many
// async steps a request takes (unlike CPU time, it does not depend on how busy the machine is).
//   node --import ./bench/async-count.mjs dist/main.js
import { createHook } from 'node:async_hooks';

const counts = new Map();
createHook({
  init(_id, type) {
    counts.set(type, (counts.get(type) ?? 0) + 1);
  },
}).enable();
// SIGUSR2 starts the count afresh (after a warm-up).
process.on('SIGUSR2', () => counts.clear());
process.on('exit', () => {
  process.stderr.write(`async resources created: ${JSON.stringify(Object.fromEntries([...counts].sort((a, b) => b[1] - a[1])))}\n`);
});
