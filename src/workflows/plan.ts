// The plan workflow: runs a plan's contracts as child workflows (`plan/<planId>/<contractId>`),
// each as soon as its prerequisites succeeded and a slot is free. A failed, rejected or skipped
// prerequisite skips exactly its descendants; independent branches finish. A `conditional` plan
// first asks policy how each contract runs: in parallel, in sequence (one sequential contract at a
// time) or after a person's review.
import {
  ActivityFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  upsertMemo,
  workflowInfo,
  ParentClosePolicy,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { contractWorkflowId } from '../shared/constants.js';
import type { ContractInputPayload } from '../shared/contract.js';
import { cancelReasonSignal, CancelRequest, planStateQuery } from '../shared/messages.js';
import { invalidPayload, problemsOf } from '../shared/problems.js';
import {
  dependentsCount,
  isSettled,
  PlanInput,
  type PlanInputPayload,
  progressOf,
  PROGRESS_MEMO,
  routingBatches,
  sequentialBlocked,
  type NodeStatus,
  type PlanNode,
  type PlanRouting,
  type PlanState,
} from '../shared/plan.js';
import type { ContractState } from '../shared/decision.js';
import { contractWorkflow } from './contract/index.js';
import { topologicalOrder } from '../shared/graph.js';

const { decideRunModes } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumAttempts: 5 },
});

/** Far below Temporal's 51,200-event limit, so a huge plan never comes near it. */
const ROLL_OVER_AFTER_EVENTS = 10_000;
/** The progress memo is upserted at most this often: `arbiter status` reads it without a worker. */
const PROGRESS_EVERY_MS = 2_000;

const statusOf = (s: ContractState): NodeStatus =>
  s.outcome === 'SUCCEEDED'
    ? 'succeeded'
    : s.outcome === 'REJECTED'
      ? 'rejected'
      : s.outcome === 'CANCELLED'
        ? 'cancelled'
        : 'failed';

export async function planWorkflow(payload: PlanInputPayload): Promise<PlanState> {
  const parsed = PlanInput.safeParse(payload);
  if (!parsed.success) throw invalidPayload('plan workflow input', parsed.error);
  const { plan, carried, rollOverAfterEvents, generation } = parsed.data;
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
  setHandler(cancelReasonSignal, (payload) => {
    const request = CancelRequest.safeParse(payload);
    if (request.success) cancel = request.data;
    else {
      const problem = problemsOf(request.error).join('; ');
      (state.ignoredSignals ??= []).push({ signal: 'cancel-reason', problem });
    }
  });
  let changes = 0;
  const isActive = (n: PlanNode) => n.status === 'running' || n.status === 'awaiting-review';
  const running = () => state.nodes.filter(isActive).length;
  /** Resolves once a launched child has started (true) or could not be started (false). */
  const started = new Map<string, Promise<boolean>>();

  let flushedKey = '';
  let lastFlush = -Infinity;
  let flushTimer = false;
  /**
   * Keeps the counts per status in the memo, so `arbiter status` can show progress with one
   * describe while the plan is too busy to answer a query. At most every PROGRESS_EVERY_MS: a
   * change inside that window is flushed by one timer, never by one timer per change.
   */
  const flushProgress = () => {
    const progress = progressOf(state, new Date().toISOString());
    const key = JSON.stringify(progress.counts);
    if (key === flushedKey) return;
    const now = new Date().getTime();
    const settled = state.nodes.every((n) => isSettled(n.status));
    if (settled || now - lastFlush >= PROGRESS_EVERY_MS) {
      upsertMemo({ [PROGRESS_MEMO]: progress });
      flushedKey = key;
      lastFlush = now;
      return;
    }
    if (flushTimer) return;
    flushTimer = true;
    sleep(PROGRESS_EVERY_MS - (now - lastFlush)).then(
      () => {
        flushTimer = false;
        changes += 1;
      },
      () => undefined, // the plan was cancelled: no more progress to report
    );
  };

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
    const args: ContractInputPayload = {
      contract,
      planId: plan.id,
      ...(input === undefined ? {} : { input }),
    };
    // Policy routed it to a person: the contract waits for a review, with policy's reasons, before
    // any agent runs (even where its own policies would send it straight to an agent).
    if (node.routing?.mode === 'human-review') args.requireReview = node.routing.explanation;
    let markStarted = (_ok: boolean) => {};
    started.set(node.id, new Promise((resolve) => (markStarted = resolve)));
    const runChild = async () => {
      try {
        const child = await startChild(contractWorkflow, {
          workflowId: node.workflowId,
          args: [args],
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
          staticSummary: `plan ${plan.id}: ${contract.title}${node.routing ? ` (${node.routing.mode})` : ''}`,
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
      const result = await CancellationScope.nonCancellable(runChild);
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
        const why = cancel ?? byThePlan;
        node.reason = `cancelled by ${why.by}: ${why.reason}`;
      } else {
        node.status = 'failed';
        node.reason = err instanceof Error ? err.message : String(err);
      }
    } finally {
      changes += 1;
    }
  };

  /** Who cancelled, when no one said: the children still learn that their plan stopped them. */
  const byThePlan: CancelRequest = { by: `plan ${plan.id}`, reason: 'the plan was cancelled' };

  /**
   * Conditional plans: one routing decision per contract, before any starts (in batches, so a
   * 1,000-contract plan adds a handful of activities). A routing that fails after its retries
   * sends the contracts to a person: unknown means review.
   */
  const routeAll = async () => {
    const unrouted = state.nodes.filter((n) => !n.routing && n.status === 'pending');
    const dependents = dependentsCount(plan.contracts);
    const size = { id: plan.id, size: plan.contracts.length, maxParallel: plan.maxParallel };
    for (const batch of routingBatches(unrouted)) {
      const items = batch.map((n) => ({
        contract: contracts.get(n.id)!,
        dependentsCount: dependents.get(n.id) ?? 0,
      }));
      let routed: PlanRouting[];
      try {
        routed = await decideRunModes.executeWithOptions(
          {
            startToCloseTimeout: '30s',
            retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumAttempts: 5 },
            summary: `route ${batch.length === 1 ? batch[0]!.id : `${batch.length} contracts`} by policy`,
          },
          [{ plan: size, items }],
        );
      } catch (err) {
        if (isCancellation(err)) throw err;
        const why = err instanceof ActivityFailure ? (err.cause?.message ?? err.message) : String(err);
        routed = batch.map(() => ({
          mode: 'human-review',
          policyIds: [],
          explanation: [`routing by policy failed (${why}); a person decides`],
          policyVersion: '',
          domain: 'unknown',
        }));
      }
      batch.forEach((n, i) => (n.routing = routed[i]));
    }
  };

  const inFlight: Promise<void>[] = [];
  let rollOver = false;
  try {
    if (plan.strategy === 'conditional') await routeAll();
    for (;;) {
      skipDescendants();
      // Near the history limit: start nothing new, let in-flight children finish, then roll over.
      rollOver ||= mustRollOver();
      let active = running();
      if (rollOver && active === 0 && !state.nodes.every((n) => isSettled(n.status))) break;
      // Sequential-routed contracts of a conditional plan run one at a time among themselves.
      let sequentialBusy = sequentialBlocked(state.nodes);
      for (const node of state.nodes) {
        if (rollOver || active >= state.maxParallel) break;
        const ready =
          node.status === 'pending' && node.dependsOn.every((d) => nodes.get(d)?.status === 'succeeded');
        if (!ready) continue;
        const sequential = node.routing?.mode === 'sequential';
        if (sequential && sequentialBusy) continue;
        inFlight.push(launch(node));
        active += 1;
        sequentialBusy ||= sequential;
      }
      flushProgress();
      if (state.nodes.every((n) => isSettled(n.status))) break;
      const seen = changes;
      await condition(() => changes !== seen);
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    await CancellationScope.nonCancellable(async () => {
      // Each running child first hears who cancelled and why, then is cancelled: the signal is
      // in its history before the cancellation, so its trail names them, whatever the timing.
      const why = cancel ?? byThePlan;
      await Promise.all(
        state.nodes.filter(isActive).map(async (n) => {
          if (!(await started.get(n.id))) return;
          const child = getExternalWorkflowHandle(n.workflowId);
          try {
            await child.signal(cancelReasonSignal, why);
            await child.cancel();
          } catch {
            // It ended on its own in the meantime; its own result is recorded by launch().
          }
        }),
      );
      // Wait for each child to record its end.
      await Promise.all(inFlight);
      for (const node of state.nodes) {
        if (node.status === 'pending') {
          node.status = 'cancelled';
          node.reason = 'plan cancelled before it started';
        }
      }
      state.status = 'cancelled';
      if (cancel) state.cancelReason = `cancelled by ${cancel.by}: ${cancel.reason}`;
      flushProgress();
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
  flushProgress();
  return state;
}
