// The plan workflow: runs a plan's contracts as child workflows (`plan/<planId>/<contractId>`),
// each as soon as its prerequisites succeeded and a slot is free. A failed, rejected or skipped
// prerequisite skips exactly its descendants; independent branches finish.
import {
  CancellationScope,
  condition,
  isCancellation,
  setHandler,
  startChild,
  workflowInfo,
  ParentClosePolicy,
} from '@temporalio/workflow';
import { contractWorkflowId } from '../shared/constants.js';
import type { Plan } from '../shared/contract.js';
import { cancelReasonSignal, planStateQuery, type CancelRequest } from '../shared/messages.js';
import { isSettled, type NodeStatus, type PlanNode, type PlanState } from '../shared/plan.js';
import type { ContractState } from '../shared/decision.js';
import { contractWorkflow } from './contract.js';
import { topologicalOrder } from './logic/graph.js';

export interface PlanInput {
  plan: Plan;
}

const statusOf = (s: ContractState): NodeStatus =>
  s.outcome === 'SUCCEEDED'
    ? 'succeeded'
    : s.outcome === 'REJECTED'
      ? 'rejected'
      : s.outcome === 'CANCELLED'
        ? 'cancelled'
        : 'failed';

export async function planWorkflow({ plan }: PlanInput): Promise<PlanState> {
  const order = topologicalOrder(plan.contracts);
  const contracts = new Map(plan.contracts.map((c) => [c.id, c]));
  const state: PlanState = {
    kind: 'plan',
    workflowId: workflowInfo().workflowId,
    planId: plan.id,
    title: plan.title,
    strategy: plan.strategy,
    maxParallel: plan.strategy === 'sequential' ? 1 : plan.maxParallel,
    status: 'running',
    nodes: order.map((id) => ({
      id,
      workflowId: contractWorkflowId(id, plan.id),
      dependsOn: contracts.get(id)?.dependsOn ?? [],
      status: 'pending',
      costUsd: 0,
    })),
    costUsd: 0,
  };
  const nodes = new Map(state.nodes.map((n) => [n.id, n]));
  const outputs = new Map<string, unknown>();
  let cancel: CancelRequest | undefined;
  setHandler(planStateQuery, () => state);
  setHandler(cancelReasonSignal, (req) => {
    cancel = req;
  });

  let changes = 0;
  const running = () =>
    state.nodes.filter((n) => n.status === 'running' || n.status === 'awaiting-review').length;

  /** Skips every pending node with a prerequisite that did not succeed, transitively. */
  const skipDescendants = () => {
    for (const node of state.nodes) {
      if (node.status !== 'pending') continue;
      const broken = node.dependsOn
        .map((d) => nodes.get(d))
        .find((d) => d && isSettled(d.status) && d.status !== 'succeeded');
      if (broken) {
        node.status = 'skipped';
        node.reason = `DEPENDENCY_FAILED: ${broken.id} ${broken.status}`;
      }
    }
  };

  const launch = async (node: PlanNode) => {
    const contract = contracts.get(node.id)!;
    node.status = 'running';
    // A prerequisite's output is an input of its dependents, keyed by prerequisite id.
    const input =
      node.dependsOn.length > 0
        ? Object.fromEntries(node.dependsOn.map((d) => [d, outputs.get(d)]))
        : undefined;
    try {
      const child = await startChild(contractWorkflow, {
        workflowId: node.workflowId,
        args: [{ contract, planId: plan.id, ...(input === undefined ? {} : { input }) }],
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        staticSummary: `plan ${plan.id}: ${contract.title}`,
      });
      const result = await child.result();
      node.status = statusOf(result);
      node.outcome = result.outcome;
      if (result.decision) node.route = result.decision.route;
      if (result.agentId) node.agentId = result.agentId;
      if (result.classification) node.domain = result.classification.domain;
      if (result.reason) node.reason = result.reason;
      node.costUsd = result.usage.costUsd;
      state.costUsd += result.usage.costUsd;
      outputs.set(node.id, result.output);
    } catch (err) {
      if (isCancellation(err)) {
        node.status = 'cancelled';
        node.reason = cancel ? `cancelled by ${cancel.by}: ${cancel.reason}` : 'cancelled';
      } else {
        node.status = 'failed';
        node.reason = err instanceof Error ? err.message : String(err);
      }
    } finally {
      changes += 1;
    }
  };

  const inFlight: Promise<void>[] = [];
  try {
    for (;;) {
      skipDescendants();
      for (const node of state.nodes) {
        if (running() >= state.maxParallel) break;
        const ready =
          node.status === 'pending' && node.dependsOn.every((d) => nodes.get(d)?.status === 'succeeded');
        if (ready) inFlight.push(launch(node));
      }
      if (state.nodes.every((n) => isSettled(n.status))) break;
      const seen = changes;
      await condition(() => changes !== seen);
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Children were asked to cancel with the plan; wait for each to record its end.
    await CancellationScope.nonCancellable(async () => {
      await Promise.all(inFlight);
      for (const node of state.nodes) {
        if (node.status === 'pending') {
          node.status = 'cancelled';
          node.reason = 'plan cancelled before it started';
        }
      }
      state.status = 'cancelled';
      if (cancel) state.cancelReason = `cancelled by ${cancel.by}: ${cancel.reason}`;
    });
    throw err;
  }
  state.status = 'completed';
  return state;
}
