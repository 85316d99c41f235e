// Preload for profiling runs: samples every allocation (including objects the GC has already collected, which
// `node --heap-prof` leaves out) and writes HEAP_SAMPLING_OUT as a .heapprofile when the process exits.
//   HEAP_SAMPLING_OUT=/tmp/x.heapprofile node --import ./bench/heap-sampling.mjs dist/main.js
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

const out = process.env.HEAP_SAMPLING_OUT ?? 'allocations.heapprofile';
const session = new Session();
session.connect();
session.post('HeapProfiler.startSampling', {
  samplingInterval: 16384,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
process.on('exit', () => {
  session.post('HeapProfiler.stopSampling', (error, result) => {
    if (error === null) writeFileSync(out, JSON.stringify(result.profile));
  });
});
