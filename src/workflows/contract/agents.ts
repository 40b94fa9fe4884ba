// Who does the work, and getting it done: selection among the agents policy permits, then the
// selected agent and each fallback in turn until one delivers output that passes validation. Every
// attempt is recorded in the trail and measured in the agent's trust ledger; nothing an agent
// returns changes the routing.
import { isCancellation, workflowInfo } from '@temporalio/workflow';
import { SEARCH_ATTRIBUTES as SA } from '../../shared/constants.js';
import type { PolicyResult, Selection } from '../../shared/decision.js';
import { failureCategory, type ErrorCategory } from '../../shared/failures.js';
import type { RecordOutcome } from '../../shared/ledgerMessages.js';
import { perform } from './perform.js';
import { LoopStopped } from './toolLoop.js';
import type { ContractRun } from './run.js';
import { claimCircuitProbe, recordAgentOutcome, selectAgent, validateOutput } from './steps.js';

/** Ranks the agents `policy` permits (a reviewer's pick first) and records the choice. */
export async function select(
  run: ContractRun,
  policy: PolicyResult,
  options: { preferred?: string | undefined; stage?: string; retry?: boolean } = {},
): Promise<Selection> {
  const selection = await selectAgent({
    permitted: policy.permitted,
    ...(policy.standings ? { standings: policy.standings } : {}),
    ...(options.preferred ? { preferred: options.preferred } : {}),
  });
  const { agentId, fallbacks, scores } = selection;
  for (const s of policy.standings ?? []) {
    run.standings.set(s.agentId, { trust: Math.min(1, Math.max(0, s.trust)), probation: s.probation });
  }
  run.record('selected', {
    agentId,
    fallbacks,
    scores,
    ...(options.stage ? { stage: options.stage } : {}),
    ...(options.retry ? { retry: true } : {}),
  });
  return selection;
}

/** Why no agent could be selected: none permitted at all, or every permitted one is closed off. */
export function noAgentReason(selection: Selection): { unavailable: boolean; reason: string } {
  const closedOff = selection.scores.filter((s) => s.reasons.some((r) => r.startsWith('circuit')));
  if (closedOff.length === 0) return { unavailable: false, reason: 'no permitted agent is registered' };
  const names = closedOff.map((s) => `${s.agentId} (circuit open)`).join(', ');
  return { unavailable: true, reason: `every permitted agent is unavailable: ${names}` };
}

export interface Task {
  /** How the trail and the Web UI name the work: `<contract>` or `<contract>/<stage> (<role>)`. */
  label: string;
  /** The pipeline stage's role (what a tool loop's policy sees), when the work is a stage. */
  role?: string;
  input: unknown;
  /** Check the output against the contract's outputSchema (the work product; not a review stage). */
  validate: boolean;
}

export interface Delivered {
  agentId: string;
  output: unknown;
  /** Whether the outcome reached the agent's ledger (false: it did not, and the trail says so). */
  measured: Promise<boolean>;
}

/**
 * Runs the selected agent, then each fallback in order, until one delivers valid output. Returns
 * without waiting for the deliverer's outcome to reach its ledger: the caller awaits `measured`
 * when it suits it (a contract writes its audit meanwhile).
 */
export async function deliver(
  run: ContractRun,
  selection: Selection,
  task: Task,
): Promise<Delivered | undefined> {
  for (const agentId of [selection.agentId, ...selection.fallbacks]) {
    if (!agentId) continue;
    const attemptId = run.nextAttemptId();
    if (selection.circuits[agentId] === 'half-open' && !(await admitted(run, agentId, attemptId, task)))
      continue;
    const delivered = await attempt(run, selection, agentId, attemptId, task);
    if (delivered) return delivered;
  }
  return undefined;
}

/**
 * One probe at a time through a half-open circuit; the others move on to a fallback. A ledger that
 * cannot answer grants nothing: the next agent is tried instead.
 */
async function admitted(run: ContractRun, agentId: string, claimId: string, task: Task): Promise<boolean> {
  const granted = await claimCircuitProbe({ agentId, claimId }).catch((err: unknown) => {
    if (isCancellation(err)) throw err;
    return false;
  });
  run.record('probe', { agentId, granted, label: task.label });
  return granted;
}

async function attempt(
  run: ContractRun,
  selection: Selection,
  agentId: string,
  attemptId: string,
  task: Task,
): Promise<Delivered | undefined> {
  const { contract } = run;
  run.tag({ key: SA.agent, value: agentId });
  run.publish();
  try {
    const result = await perform(run, selection, agentId, attemptId, task);
    const { latencyMs, usage, loop } = result;
    run.record('agent-answered', { agentId, label: task.label, latencyMs, usage, ...(loop ? { loop } : {}) });
    const errors = task.validate
      ? await validateOutput({ schema: contract.outputSchema, output: result.output })
      : [];
    if (errors.length > 0) {
      run.record('output-checked', { agentId, errors, hasSchema: true });
      const error = errors.join('; ');
      await measure(run, agentId, attemptId, { ok: false, category: 'invalid-output', error, latencyMs });
      return undefined;
    }
    const measured = measure(run, agentId, attemptId, { ok: true, latencyMs, costUsd: usage.costUsd });
    // Handled here so that a cancellation arriving first is not an unhandled rejection (which fails
    // the workflow task); the caller's await still sees it.
    measured.catch(() => undefined);
    if (task.validate) {
      run.record('output-checked', { agentId, errors: [], hasSchema: contract.outputSchema !== undefined });
    }
    return { agentId, output: result.output, measured };
  } catch (err) {
    const { category, message } = failureCategory(err);
    run.record('agent-failed', { agentId, label: task.label, category, message });
    if (isCancellation(err)) throw err;
    await measure(run, agentId, attemptId, { ok: false, category, error: message });
    // A tool loop at its bound ends the contract: a fallback would run past the same bound.
    if (err instanceof LoopStopped) throw err;
    return undefined;
  }
}

type Measurement = Omit<RecordOutcome['outcome'], 'at' | 'category'> & { category?: ErrorCategory };

/** Records the attempt in the agent's ledger; false when that failed (the trail says so). */
async function measure(
  run: ContractRun,
  agentId: string,
  outcomeId: string,
  m: Measurement,
): Promise<boolean> {
  try {
    await recordAgentOutcome({ agentId, outcomeId, outcome: { at: new Date().getTime(), ...m } });
    return true;
  } catch (err) {
    if (isCancellation(err)) throw err;
    // Losing one measurement must not fail the work itself; the trail says it happened.
    run.record('not-measured', { agentId, message: failureCategory(err).message });
    return false;
  }
}

/**
 * A reviewer's verdict on the stages it reviewed goes into the ledgers of the agents that did
 * them: work sent back counts against an agent's trust even though its call succeeded.
 */
export async function measureVerdict(
  run: ContractRun,
  reviewed: readonly string[],
  approved: boolean,
  round: number,
): Promise<void> {
  const { workflowId, runId } = workflowInfo();
  for (const stageId of reviewed) {
    const agentId = [...(run.state.stages ?? [])].reverse().find((s) => s.id === stageId)?.agentId;
    if (!agentId) continue;
    try {
      await recordAgentOutcome({
        agentId,
        outcomeId: `${workflowId}/${runId}/verdict/${stageId}/${round}`,
        outcome: { at: new Date().getTime(), ok: true, reviewerVerdict: approved ? 'approved' : 'rejected' },
      });
    } catch (err) {
      if (isCancellation(err)) throw err;
      run.record('not-measured', { agentId, message: failureCategory(err).message, verdict: true });
    }
  }
}
