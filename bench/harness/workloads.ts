// The workloads the scenarios measure: the bench's bare workflows (B0, B0-local), a governed
// contract submitted as a user submits one (S), and the contract mimic. One contract for all.
import type { Arbiter, Contract, ContractState } from '../../src/client.js';
import { CONTRACT_STEPS, type MimicInput } from '../workflows.js';
import type { Bench } from './bench.js';
import type { Workload } from './load.js';

/** The benchmark's contract: routed to the builtin report agent by the repo's policies and rules. */
export function benchContract(id: string, dependsOn: string[] = []): Contract {
  return {
    id,
    title: 'Engagement metrics dashboard',
    objective: 'Design the analytics dashboard and its metrics for engagement data.',
    acceptanceCriteria: ['lists the metrics', 'names the data sources'],
    constraints: { dataClass: 'internal' },
    dependsOn,
  };
}

export function expectSucceeded(what: string, state: ContractState): void {
  if (state.outcome !== 'SUCCEEDED') {
    throw new Error(`${what} ended ${state.outcome ?? state.status}: ${state.reason ?? ''}`);
  }
}

/** A bench workflow of CONTRACT_STEPS no-op steps, regular (B0) or local (B0-local) activities. */
export function bareWorkload(
  bench: Bench,
  name: string,
  type: 'bareWorkflow' | 'bareLocalWorkflow',
): Workload {
  return {
    name,
    start: async (id) =>
      (
        await bench.client.workflow.start(type, {
          taskQueue: bench.bareQueue,
          workflowId: id,
          args: [CONTRACT_STEPS.length],
        })
      ).workflowId,
    done: async (wid) => {
      await bench.client.workflow.getHandle(wid).result();
    },
  };
}

/** A governed contract submitted through `arbiter` (its task queue), which must succeed. */
export function contractWorkload(name: string, arbiter: Arbiter): Workload {
  return {
    name,
    start: async (id) => (await arbiter.submitContract(benchContract(id))).workflowId,
    done: async (wid) =>
      expectSucceeded(wid, (await arbiter.client.workflow.getHandle(wid).result()) as ContractState),
  };
}

/** The contract mimic (bench/workflows.ts) with its steps `local` or not, with or without the ledger. */
export function mimicWorkload(
  bench: Bench,
  name: string,
  local: MimicInput['local'],
  ledger = true,
): Workload {
  return {
    name,
    start: async (id) =>
      (
        await bench.client.workflow.start('contractLocalMimic', {
          taskQueue: bench.bareQueue,
          workflowId: `mimic/${id}`,
          args: [{ contract: benchContract(id), local, ledger } satisfies MimicInput],
        })
      ).workflowId,
    done: async (wid) => {
      const outcome = (await bench.client.workflow.getHandle(wid).result()) as string;
      if (outcome !== 'SUCCEEDED') throw new Error(`${wid}: ${outcome}`);
    },
  };
}
