// The plan workflow: runs a plan's contracts as child workflows (`plan/<planId>/<contractId>`),
// each as soon as its prerequisites succeeded and a slot is free. A failed, rejected or skipped
// prerequisite skips exactly its descendants; independent branches finish.
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
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
  /** State carried over a continue-as-new: where every node stands, and outputs still needed. */
  carried?: { nodes: PlanNode[]; outputs: Record<string, unknown>; costUsd: number; runs: number };
  /** Roll over to a fresh run past this many history events (Temporal's own hint also counts). */
  rollOverAfterEvents?: number;
  /** Set when the plan was generated from a request in words (see request.ts). */
  generation?: PlanState['generation'];
}

/** Far below Temporal's 51,200-event limit, so a huge plan never comes near it. */
const ROLL_OVER_AFTER_EVENTS = 10_000;

const statusOf = (s: ContractState): NodeStatus =>
  s.outcome === 'SUCCEEDED'
    ? 'succeeded'
    : s.outcome === 'REJECTED'
      ? 'rejected'
      : s.outcome === 'CANCELLED'
        ? 'cancelled'
        : 'failed';

export async function planWorkflow({
  plan,
  carried,
  rollOverAfterEvents,
  generation,
}: PlanInput): Promise<PlanState> {
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
    nodes:
      carried?.nodes ??
      order.map((id) => ({
        id,
        workflowId: contractWorkflowId(id, plan.id),
        dependsOn: contracts.get(id)?.dependsOn ?? [],
        status: 'pending',
        costUsd: 0,
      })),
    // A generated plan starts with what writing it cost.
    costUsd: carried?.costUsd ?? generation?.costUsd ?? 0,
    runs: (carried?.runs ?? 0) + 1,
    ...(generation ? { generation } : {}),
  };
  const nodes = new Map(state.nodes.map((n) => [n.id, n]));
  const outputs = new Map<string, unknown>(Object.entries(carried?.outputs ?? {}));
  const limit = rollOverAfterEvents ?? ROLL_OVER_AFTER_EVENTS;
  const mustRollOver = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > limit;
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
  let rollOver = false;
  try {
    for (;;) {
      skipDescendants();
      // Near the history limit: start nothing new, let in-flight children finish, then roll over.
      rollOver ||= mustRollOver();
      if (rollOver && running() === 0 && !state.nodes.every((n) => isSettled(n.status))) break;
      for (const node of state.nodes) {
        if (rollOver || running() >= state.maxParallel) break;
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
  if (rollOver && !state.nodes.every((n) => isSettled(n.status))) {
    await condition(allHandlersFinished);
    // Only outputs that a node still to run will read travel to the next run.
    const needed = new Set(state.nodes.filter((n) => !isSettled(n.status)).flatMap((n) => n.dependsOn));
    return continueAsNew<typeof planWorkflow>({
      plan,
      carried: {
        nodes: state.nodes,
        outputs: Object.fromEntries([...outputs].filter(([id]) => needed.has(id))),
        costUsd: state.costUsd,
        runs: state.runs,
      },
      ...(rollOverAfterEvents ? { rollOverAfterEvents } : {}),
      ...(generation ? { generation } : {}),
    });
  }
  state.status = 'completed';
  return state;
}
