// Worker memory over many contracts: batches of S on the in-process Arbiter worker, each batch
// started all at once, memory settled (GC, pause, GC) after each.
import { pool } from '../harness/load.js';
import { settledMemory, type Settled } from '../harness/resources.js';
import type { Scenario } from '../harness/scenario.js';
import { log, runTag, START_CONCURRENCY } from '../harness/settings.js';
import { contractWorkload } from '../harness/workloads.js';
import { fmt } from '../stats.js';

export interface SoakResult {
  batches: number;
  perBatch: number;
  /** Settled memory after each batch, against the contracts run so far. */
  points: (Settled & { workflows: number })[];
  /** Contracts that did not succeed. */
  failures: number;
}

export const soak: Scenario<SoakResult> = {
  key: 'soak',
  run: async (bench) => {
    const [batches, perBatch] = bench.counts.soak;
    const workload = contractWorkload('soak', bench.arbiter);
    const result: SoakResult = { batches, perBatch, points: [], failures: 0 };
    for (let b = 0; b < batches; b++) {
      await pool(perBatch, START_CONCURRENCY, async (i) => {
        const wid = await workload.start(`soak-${runTag}-${b}-${i}`);
        await workload.done(wid).catch((err: unknown) => {
          result.failures += 1;
          log(`soak ${wid} failed: ${(err as Error).message}`);
        });
      });
      const point = { workflows: (b + 1) * perBatch, ...(await settledMemory()) };
      result.points.push(point);
      log(`soak: ${point.workflows} contracts, settled RSS ${fmt(point.rssMb, 0)} MB`);
    }
    return result;
  },
  report: (r) => ({
    tables: [
      {
        id: 'soak',
        heading: 'Worker memory over many contracts (soak; settled after each batch)',
        columns: ['contracts', 'RSS (MB)', 'main heap used (MB)'],
        rows: r.points.map((x) => [String(x.workflows), fmt(x.rssMb, 0), fmt(x.heapUsedMb, 0)]),
      },
    ],
  }),
};
