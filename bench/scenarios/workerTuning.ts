// Levers of worker tuning: S on an Arbiter worker of its own (same bundle, own task queue) with one
// option changed. The workers keep running until the bench ends, as the run's other workers do.
import type { Worker, WorkerOptions } from '@temporalio/worker';
import { leversPart, measureLever, type LeverResult } from '../harness/levers.js';
import type { Scenario } from '../harness/scenario.js';
import { contractWorkload } from '../harness/workloads.js';
import { contract } from './contract.js';

interface Tuning {
  /** The lever's row; `defaults` is the main Arbiter worker's options. */
  lever(defaults: Worker['options']): string;
  /** The workload's name (log, JSON). */
  name: string;
  options: Partial<WorkerOptions>;
}

const TUNINGS: Tuning[] = [
  {
    lever: (d) => `worker maxCachedWorkflows 20 (default here ${d.maxCachedWorkflows})`,
    name: 'S, cache 20',
    options: { maxCachedWorkflows: 20 },
  },
  {
    lever: () => 'worker workflowThreadPoolSize 2 (default 1)',
    name: 'S, 2 workflow threads',
    options: { workflowThreadPoolSize: 2 },
  },
  {
    lever: () => 'worker pollers autoscaling (default: simple maximum)',
    name: 'S, autoscaling pollers',
    options: {
      workflowTaskPollerBehavior: { type: 'autoscaling' },
      activityTaskPollerBehavior: { type: 'autoscaling' },
    },
  },
];

export const workerTuning: Scenario<LeverResult[]> = {
  key: 'workerTuning',
  run: async (bench, results) => {
    const S = results.get(contract);
    const levers: LeverResult[] = [];
    for (const [i, tuning] of TUNINGS.entries()) {
      const config = { ...bench.setup.config, taskQueue: `${bench.setup.config.taskQueue}-lever${i}` };
      await bench.stack.startArbiterWorker({ ...bench.setup, config }, tuning.options);
      const lever = tuning.lever(bench.arbiterWorker.options);
      levers.push(
        await bench.stack.withArbiter(config, (arbiter) =>
          measureLever(bench, lever, contractWorkload(tuning.name, arbiter), S),
        ),
      );
    }
    return levers;
  },
  report: leversPart,
};
