// Preload for profiling runs: samples every allocation (including objects the GC has already collected, which
// `node --heap-prof` leaves out) and writes HEAP_SAMPLING_OUT as a .heapprofile when the process exits;
// SIGUSR2 starts the sample afresh.
//   HEAP_SAMPLING_OUT=/tmp/x.heapprofile node --import ./bench/heap-sampling.mjs dist/main.js
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

const out = process.env.HEAP_SAMPLING_OUT ?? 'allocations.heapprofile';
const session = new Session();
session.connect();
const start = () =>
  session.post('HeapProfiler.startSampling', {
    samplingInterval: 16384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
start();
// SIGUSR2 (bench/profile.sh after its warm-up) drops what start-up and warm-up allocated.
process.on('SIGUSR2', () => session.post('HeapProfiler.stopSampling', start));
process.on('exit', () => {
  session.post('HeapProfiler.stopSampling', (error, result) => {
    if (error === null) writeFileSync(out, JSON.stringify(result.profile));
  });
});
