// The bare Temporal baselines: B0, one no-op regular activity per contract step, and B0-local, the
// same steps as local activities (bench/workflows.ts), on the bench worker's own task queue.
import { measureLoad, runsRow, runsTable, type LoadResult } from '../harness/load.js';
import type { Scenario } from '../harness/scenario.js';
import { loadCounts, log } from '../harness/settings.js';
import { bareWorkload } from '../harness/workloads.js';

export interface BaselineResult {
  B0: LoadResult;
  B0local: LoadResult;
}

export const baselines: Scenario<BaselineResult> = {
  key: 'baselines',
  run: async (bench) => {
    const counts = loadCounts(bench.counts);
    log(`B0 / B0-local / S: ${counts.latency} sequential, ${counts.throughput} concurrent each`);
    return {
      B0: await measureLoad(bench, bareWorkload(bench, 'B0', 'bareWorkflow'), counts),
      B0local: await measureLoad(bench, bareWorkload(bench, 'B0-local', 'bareLocalWorkflow'), counts),
    };
  },
  report: (r) => ({ tables: [runsTable([runsRow(r.B0), runsRow(r.B0local)])] }),
};
