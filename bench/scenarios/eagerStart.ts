// Lever: eager workflow start. The start call returns the first workflow task to a worker of the
// same process, skipping the task queue's dispatch; it needs a client on the worker's
// NativeConnection. Measured for B0-local and for S.
import { Client } from '@temporalio/client';
import type { ContractState } from '../../src/client.js';
import { contractWorkflowId } from '../../src/shared/constants.js';
import type { Bench } from '../harness/bench.js';
import { leversPart, measureLever, type LeverResult } from '../harness/levers.js';
import type { Workload } from '../harness/load.js';
import type { Scenario } from '../harness/scenario.js';
import { benchContract, expectSucceeded } from '../harness/workloads.js';
import { CONTRACT_STEPS } from '../workflows.js';
import { baselines } from './baselines.js';
import { contract } from './contract.js';

export interface EagerResult {
  B0local: LeverResult;
  S: LeverResult;
  /** Starts the server handed to the worker eagerly (it falls back when no workflow slot is free). */
  eagerlyStarted: number;
}

/** Starts B0-local (bench queue) or S (Arbiter queue) with `requestEagerStart`, counting eager starts. */
function eagerWorkloads(bench: Bench) {
  const client = new Client({ connection: bench.stack.connection, namespace: bench.setup.config.namespace });
  const started = { eagerly: 0 };
  const workload = (name: string, type: 'bareLocalWorkflow' | 'contractWorkflow'): Workload => {
    const isContract = type === 'contractWorkflow';
    return {
      name,
      start: async (id) => {
        const handle = await client.workflow.start(type, {
          taskQueue: isContract ? bench.setup.config.taskQueue : bench.bareQueue,
          workflowId: isContract ? contractWorkflowId(id) : id,
          args: [isContract ? { contract: benchContract(id) } : CONTRACT_STEPS.length],
          requestEagerStart: true,
        });
        if (handle.eagerlyStarted) started.eagerly += 1;
        return handle.workflowId;
      },
      done: async (wid) => {
        const result: unknown = await client.workflow.getHandle(wid).result();
        if (isContract) expectSucceeded(wid, result as ContractState);
      },
    };
  };
  return {
    started,
    B0local: workload('B0-local, eager', 'bareLocalWorkflow'),
    S: workload('S, eager', 'contractWorkflow'),
  };
}

export const eagerStart: Scenario<EagerResult> = {
  key: 'eagerStart',
  run: async (bench, results) => {
    const eager = eagerWorkloads(bench);
    const B0local = await measureLever(
      bench,
      'B0-local, eager workflow start',
      eager.B0local,
      results.get(baselines).B0local,
    );
    const S = await measureLever(bench, 'S, eager workflow start', eager.S, results.get(contract));
    return { B0local, S, eagerlyStarted: eager.started.eagerly };
  },
  report: (r) => leversPart([r.B0local, r.S]),
};
