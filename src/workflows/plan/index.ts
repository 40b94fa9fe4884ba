// The plan workflow: runs a plan's contracts as child workflows (`plan/<planId>/<contractId>`),
// each as soon as its prerequisites succeeded and a slot is free. A failed, rejected or skipped
// prerequisite skips exactly its descendants; independent branches finish. A `conditional` plan
// first asks policy how each contract runs: in parallel, in sequence (one sequential contract at a
// time) or after a person's review. A huge plan continues as new before its history grows large.
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { cancelReasonSignal, CancelRequest, planStateQuery } from '../../shared/messages.js';
import {
  isSettled,
  PlanInput,
  sequentialBlocked,
  type PlanInputPayload,
  type PlanState,
} from '../../shared/plan.js';
import { invalidPayload, problemsOf } from '../../shared/problems.js';
import { launch } from './launch.js';
import { decideModes } from './modes.js';
import { PlanRun } from './run.js';

/** Far below Temporal's 51,200-event limit, so a huge plan never comes near it. */
const ROLL_OVER_AFTER_EVENTS = 10_000;

export async function planWorkflow(payload: PlanInputPayload): Promise<PlanState> {
  const parsed = PlanInput.safeParse(payload);
  if (!parsed.success) throw invalidPayload('plan workflow input', parsed.error);
  const input = parsed.data;
  const run = new PlanRun(input);
  listen(run);
  const limit = input.rollOverAfterEvents ?? ROLL_OVER_AFTER_EVENTS;
  const mustRollOver = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > limit;
  const inFlight: Promise<void>[] = [];
  let rollOver = false;
  try {
    if (input.plan.strategy === 'conditional') await decideModes(run);
    for (;;) {
      run.skipDescendants();
      // Near the history limit: start nothing new, let in-flight children finish, then roll over.
      rollOver ||= mustRollOver();
      if (rollOver && run.running() === 0 && !run.allSettled()) break;
      if (!rollOver) inFlight.push(...startReady(run));
      run.flushProgress();
      if (run.allSettled()) break;
      const seen = run.changes;
      await condition(() => run.changes !== seen);
    }
  } catch (err) {
    if (isCancellation(err)) await CancellationScope.nonCancellable(() => stopAll(run, inFlight));
    throw err;
  }
  if (rollOver && !run.allSettled()) return rollOverTo(run, input);
  run.state.status = 'completed';
  run.flushProgress();
  return run.state;
}

/** Starts every ready contract a free slot allows (sequential-routed ones one at a time). */
function startReady(run: PlanRun): Promise<void>[] {
  const launched: Promise<void>[] = [];
  let active = run.running();
  let sequentialBusy = sequentialBlocked(run.state.nodes);
  for (const node of run.ready()) {
    if (active >= run.state.maxParallel) break;
    const sequential = node.routing?.mode === 'sequential';
    if (sequential && sequentialBusy) continue;
    launched.push(launch(run, node));
    active += 1;
    sequentialBusy ||= sequential;
  }
  return launched;
}

/** The state query, and who cancels (a malformed cancel reason is recorded and ignored). */
function listen(run: PlanRun): void {
  setHandler(planStateQuery, () => run.state);
  setHandler(cancelReasonSignal, (payload) => {
    const request = CancelRequest.safeParse(payload);
    if (request.success) run.cancelRequest = request.data;
    else {
      const problem = problemsOf(request.error).join('; ');
      (run.state.ignoredSignals ??= []).push({ signal: 'cancel-reason', problem });
    }
  });
}

/**
 * The plan was cancelled: each running child first hears who cancelled and why, then is
 * cancelled (the signal is in its history before the cancellation, so its trail names them,
 * whatever the timing); each records its end; what never started is cancelled too.
 */
async function stopAll(run: PlanRun, inFlight: Promise<void>[]): Promise<void> {
  const why = run.cancelledBy;
  await Promise.all(
    run.state.nodes.filter(PlanRun.isActive).map(async (n) => {
      if (!(await run.started.get(n.id))) return;
      const child = getExternalWorkflowHandle(n.workflowId);
      try {
        await child.signal(cancelReasonSignal, why);
        await child.cancel();
      } catch {
        // It ended on its own in the meantime; its own result is recorded by launch().
      }
    }),
  );
  await Promise.all(inFlight);
  for (const node of run.state.nodes) {
    if (node.status === 'pending') {
      node.status = 'cancelled';
      node.reason = 'plan cancelled before it started';
    }
  }
  run.state.status = 'cancelled';
  if (run.cancelRequest) run.state.cancelReason = `cancelled by ${why.by}: ${why.reason}`;
  run.flushProgress();
}

/** Continues as a fresh run, carrying where every node stands and only the outputs still needed. */
async function rollOverTo(run: PlanRun, input: PlanInput): Promise<never> {
  await condition(allHandlersFinished);
  const { state } = run;
  const needed = new Set(state.nodes.filter((n) => !isSettled(n.status)).flatMap((n) => n.dependsOn));
  return continueAsNew<typeof planWorkflow>({
    plan: input.plan,
    carried: {
      nodes: state.nodes,
      outputs: Object.fromEntries([...run.outputs].filter(([id]) => needed.has(id))),
      costUsd: state.costUsd,
      runs: state.runs,
    },
    ...(input.rollOverAfterEvents ? { rollOverAfterEvents: input.rollOverAfterEvents } : {}),
    ...(input.generation ? { generation: input.generation } : {}),
  });
}
