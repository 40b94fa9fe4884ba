// S: a governed Arbiter contract end to end, submitted as a user submits one and served by the
// in-process Arbiter worker (the real contract workflow, policies, rules and builtin agent).
import { measureLoad, runsRow, runsTable, type LoadResult } from '../harness/load.js';
import type { Scenario } from '../harness/scenario.js';
import { loadCounts } from '../harness/settings.js';
import { contractWorkload } from '../harness/workloads.js';

export const contract: Scenario<LoadResult> = {
  key: 'contract',
  run: (bench) => measureLoad(bench, contractWorkload('S', bench.arbiter), loadCounts(bench.counts)),
  report: (S) => ({ tables: [runsTable([runsRow(S)])] }),
};
