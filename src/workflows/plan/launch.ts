// Running one contract of a plan as its child workflow `plan/<planId>/<contractId>`, with its
// prerequisites' outputs as input, and recording how it ended in the plan's state.
import { CancellationScope, isCancellation, ParentClosePolicy, startChild } from '@temporalio/workflow';
import type { ContractInputPayload } from '../../shared/contract.js';
import type { ContractState } from '../../shared/decision.js';
import type { NodeStatus, PlanNode } from '../../shared/plan.js';
import { contractWorkflow } from '../contract/index.js';
import type { PlanRun } from './run.js';

const STATUS_OF: Record<NonNullable<ContractState['outcome']>, NodeStatus> = {
  SUCCEEDED: 'succeeded',
  REJECTED: 'rejected',
  CANCELLED: 'cancelled',
  FAILED: 'failed',
};

/** The child's input: the contract, the plan, prerequisite outputs, a review the plan requires. */
function inputOf(run: PlanRun, node: PlanNode): ContractInputPayload {
  // A prerequisite's output is an input of its dependents, keyed by prerequisite id.
  const input =
    node.dependsOn.length > 0
      ? Object.fromEntries(node.dependsOn.map((d) => [d, run.outputs.get(d)]))
      : undefined;
  return {
    contract: run.contracts.get(node.id)!,
    planId: run.plan.id,
    ...(input === undefined ? {} : { input }),
    // Policy routed it to a person: the contract waits for a review, with policy's reasons, before
    // any agent runs (even where its own policies would send it straight to an agent).
    ...(node.routing?.mode === 'human-review' ? { requireReview: node.routing.explanation } : {}),
  };
}

/** Starts the node's contract and records its end; resolves when the child has ended. */
export async function launch(run: PlanRun, node: PlanNode): Promise<void> {
  node.status = 'running';
  const args = inputOf(run, node);
  let markStarted = (_ok: boolean) => {};
  run.started.set(node.id, new Promise((resolve) => (markStarted = resolve)));
  const runChild = async () => {
    try {
      const child = await startChild(contractWorkflow, {
        workflowId: node.workflowId,
        args: [args],
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        staticSummary: `plan ${run.plan.id}: ${args.contract.title}${node.routing ? ` (${node.routing.mode})` : ''}`,
      });
      markStarted(true);
      return await child.result();
    } catch (err) {
      markStarted(false);
      throw err;
    }
  };
  try {
    // The plan itself cancels its children (after telling them who and why), so they must not be
    // cancelled by the plan's scope first.
    record(run, node, await CancellationScope.nonCancellable(runChild));
  } catch (err) {
    if (isCancellation(err)) {
      node.status = 'cancelled';
      node.reason = `cancelled by ${run.cancelledBy.by}: ${run.cancelledBy.reason}`;
    } else {
      node.status = 'failed';
      node.reason = err instanceof Error ? err.message : String(err);
    }
  } finally {
    run.changes += 1;
  }
}

function record(run: PlanRun, node: PlanNode, result: ContractState): void {
  node.status = result.outcome ? STATUS_OF[result.outcome] : 'failed';
  node.outcome = result.outcome;
  if (result.decision) node.route = result.decision.route;
  if (result.agentId) node.agentId = result.agentId;
  if (result.classification) node.domain = result.classification.domain;
  if (result.reason) node.reason = result.reason;
  node.costUsd = result.usage.costUsd;
  run.state.costUsd += result.usage.costUsd;
  run.outputs.set(node.id, result.output);
}
