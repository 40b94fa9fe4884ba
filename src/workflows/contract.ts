// The contract workflow: classify → policy → (human review) → select → execute → validate →
// audit. Deterministic: every decision that touches the world is an activity; the workflow only
// sequences them, keeps the state and records the trail.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { AgentOutcome } from '../shared/trust.js';
import { isErrorCategory } from '../shared/failures.js';
import { DEFAULT_REVIEW_MS, SEARCH_ATTRIBUTES as SA } from '../shared/constants.js';
import type { Contract } from '../shared/contract.js';
import type {
  AuditEvent,
  ContractState,
  Decision,
  ErrorCategory,
  Outcome,
  PolicyResult,
  ReviewRecord,
  Selection,
} from '../shared/decision.js';
import {
  cancelReasonSignal,
  reviewSignal,
  reviewUpdate,
  stateQuery,
  type CancelRequest,
  type ReviewAnswer,
} from '../shared/messages.js';
import { agentCall } from './agentCall.js';
import { topologicalOrder } from '../shared/graph.js';
import { reviewProblem } from '../shared/review.js';

export interface ContractInput {
  contract: Contract;
  planId?: string;
  /** Prerequisite outputs (plans), passed to the agent as its input. */
  input?: unknown;
  /**
   * Why a person must look before an agent runs, when a plan's routing says so (the `conditional`
   * strategy). It adds a review to a contract policy routes to AGENT; it never removes one.
   */
  requireReview?: string[];
}

// Patch ids, one per change of command sequence (README "Contributing" lists them).
/** Governance steps run as local activities (markers) instead of scheduled activity tasks. */
const PATCH_LOCAL_STEPS = 'local-steps';
/** Pipeline stages wait for a person (policy review, escalation) instead of ending the contract. */
const PATCH_PIPELINE_REVIEW = 'pipeline-review';
/** A delivered contract records its agent's outcome and its audit together, not one after the other. */
const PATCH_SETTLE_TOGETHER = 'settle-together';

/** The governance steps the workflow sequences; agents themselves run through `agentCall`. */
type GovernanceSteps = Pick<
  Activities,
  | 'classify'
  | 'evaluatePolicy'
  | 'selectAgent'
  | 'validateOutput'
  | 'recordAudit'
  | 'recordAgentOutcome'
  | 'claimAgentRoute'
>;

const quick = {
  startToCloseTimeout: '10s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumAttempts: 5 },
} as const;
// Classification may ask an LLM (bounded by ARBITER_CLASSIFY_TIMEOUT_MS, and it degrades to
// rules on failure), so its own timeout leaves room for that call.
const classifying = { ...quick, startToCloseTimeout: '60s' } as const;
const auditing = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumAttempts: 10 },
} as const;
const ledger = {
  startToCloseTimeout: '20s',
  retry: { initialInterval: '500ms', maximumAttempts: 3 },
} as const;

/**
 * The governance steps with the same timeouts and retries either way. Local: they run in the
 * worker that runs the workflow, recorded as markers; they are in-process and fast, and a task
 * queue round trip per step roughly doubled a contract's latency (docs/performance.md, "Levers").
 */
function governanceSteps(local: boolean): GovernanceSteps {
  const proxy = (options: ActivityOptions & LocalActivityOptions) =>
    local ? proxyLocalActivities<Activities>(options) : proxyActivities<Activities>(options);
  const { evaluatePolicy, selectAgent, validateOutput } = proxy(quick);
  const { classify } = proxy(classifying);
  const { recordAudit } = proxy(auditing);
  const { recordAgentOutcome, claimAgentRoute } = proxy(ledger);
  return {
    classify,
    evaluatePolicy,
    selectAgent,
    validateOutput,
    recordAudit,
    recordAgentOutcome,
    claimAgentRoute,
  };
}
const remoteSteps = governanceSteps(false);
const localSteps = governanceSteps(true);

const { executeAgent } = proxyActivities<Activities>({ startToCloseTimeout: '30s' });
const { executeAgent: executeAgentInProcess } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30s',
});

type Delivered = {
  agentId: string;
  output: unknown;
  /**
   * Whether the agent's outcome reached its trust ledger (false: it failed, and the trail says so);
   * awaited by runAgents unless it was told not to.
   */
  recorded: Promise<boolean>;
};

/** How often a reviewer stage may send work back before the contract fails. */
const MAX_SEND_BACKS = 2;

export async function contractWorkflow({
  contract,
  planId,
  input,
  requireReview,
}: ContractInput): Promise<ContractState> {
  // Decided once, before the first command, so a run keeps one shape: runs recorded before the
  // patch replay with scheduled activities, new runs use local ones throughout.
  const {
    classify,
    evaluatePolicy,
    selectAgent,
    validateOutput,
    recordAudit,
    recordAgentOutcome,
    claimAgentRoute,
  } = patched(PATCH_LOCAL_STEPS) ? localSteps : remoteSteps;
  const state: ContractState = {
    workflowId: workflowInfo().workflowId,
    contractId: contract.id,
    ...(planId ? { planId } : {}),
    title: contract.title,
    status: 'classifying',
    attempts: [],
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    trail: [],
  };
  const note = (step: AuditEvent['step'], summary: string, data?: unknown) => {
    state.trail.push({
      at: new Date().toISOString(),
      step,
      summary,
      ...(data === undefined ? {} : { data }),
    });
  };

  let waitingForReview = false;
  let reviewPermitted: string[] = [];
  let allowedReviewers: string[] = [];
  let answer: (ReviewAnswer & { via: 'update' | 'signal' }) | undefined;
  const accept = (a: ReviewAnswer, via: 'update' | 'signal') => {
    answer = { ...a, via };
    waitingForReview = false;
  };
  setHandler(stateQuery, () => state);
  setHandler(
    reviewUpdate,
    async (a) => {
      accept(a, 'update');
      await condition(() => state.status !== 'awaiting-review');
      return state;
    },
    {
      validator: (a) => {
        const problem = reviewProblem(a, waitingForReview, reviewPermitted, allowedReviewers);
        if (problem) throw new Error(problem);
      },
    },
  );
  let cancel: CancelRequest | undefined;
  setHandler(cancelReasonSignal, (req) => {
    cancel = req;
  });
  setHandler(reviewSignal, (a) => {
    const problem = reviewProblem(a, waitingForReview, reviewPermitted, allowedReviewers);
    if (problem) note('review', `ignored a review signal: ${problem}`, a);
    else accept(a, 'signal');
  });

  const finish = async (outcome: Outcome, reason?: string): Promise<ContractState> => {
    state.outcome = outcome;
    state.status = STATUS_OF[outcome];
    if (reason) state.reason = reason;
    note('outcome', reason ? `${outcome}: ${reason}` : outcome);
    upsertSearchAttributes([
      { key: SA.outcome, value: outcome },
      { key: SA.costUsd, value: state.usage.costUsd },
    ]);
    await recordAudit(state);
    return state;
  };

  try {
    return await steps();
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Record the cancellation durably (who, why) even though the workflow is being cancelled.
    await CancellationScope.nonCancellable(async () => {
      const reason = cancel ? `cancelled by ${cancel.by}: ${cancel.reason}` : 'cancelled';
      note('cancel', reason);
      await finish('CANCELLED', reason);
    });
    throw err;
  }

  async function steps(): Promise<ContractState> {
    note('submitted', `contract "${contract.title}"`, { dataClass: contract.constraints.dataClass });
    if (planId) upsertSearchAttributes([{ key: SA.plan, value: planId }]);

    // 1. Classification: what kind of work is this? (The classifier never sees the agents.)
    const classification = await classify(contract);
    state.classification = classification;
    if (classification.usage) {
      // The classification's own LLM call is part of what this contract cost.
      state.usage.inputTokens += classification.usage.inputTokens;
      state.usage.outputTokens += classification.usage.outputTokens;
      state.usage.costUsd += classification.usage.costUsd;
    }
    note(
      'classify',
      `${classification.domain} (confidence ${classification.confidence}, by ${classification.method})`,
      classification,
    );
    upsertSearchAttributes([
      { key: SA.domain, value: classification.domain },
      { key: SA.confidence, value: classification.confidence },
    ]);

    // 2. Policy: Cedar decides the route and who may do the work, before anything runs.
    state.status = 'deciding';
    let policy: PolicyResult = await evaluatePolicy({ contract, classification });
    const decision: Decision = {
      route: policy.route,
      agentId: null,
      fallbacks: [],
      explanation: policy.explanation,
      policyIds: policy.policyIds,
      policyVersion: policy.policyVersion,
    };
    state.decision = decision;
    note(
      'policy',
      `${policy.route} under policy ${policy.policyVersion} (${policy.policyIds.join(', ') || 'default deny'})`,
      {
        explanation: policy.explanation,
        candidates: policy.candidates,
      },
    );
    upsertSearchAttributes([
      { key: SA.route, value: policy.route },
      { key: SA.policyVersion, value: policy.policyVersion },
    ]);

    // 3. Human review, when policy asks for it: a durable wait with a deadline.
    let why = policy.route === 'HUMAN_REVIEW' ? policy.explanation : undefined;
    // A plan may require a person on top of policy (never instead of it: a REJECT stays one).
    // No patch: runs recorded before this field existed never carry it, so they replay unchanged.
    if (policy.route === 'AGENT' && requireReview && requireReview.length > 0) {
      why = requireReview;
      decision.route = 'HUMAN_REVIEW';
      decision.explanation = [...policy.explanation, ...requireReview.map((r) => `review required: ${r}`)];
      note('review', `review required by the plan: ${requireReview.join('; ')}`, { why: requireReview });
      upsertSearchAttributes([{ key: SA.route, value: 'HUMAN_REVIEW' }]);
    }
    let preferred: string | undefined;
    let approved = false;
    if (why) {
      const afterApproval = await evaluatePolicy({ contract, classification, reviewed: true });
      const reply = await askReviewers(why, afterApproval.permitted, policy);
      if (reply.decision === 'reject') {
        return finish(
          'REJECTED',
          reply.via === 'timeout'
            ? 'review timed out'
            : `rejected by ${reply.reviewer}: ${reply.reason ?? ''}`,
        );
      }
      policy = afterApproval;
      preferred = reply.agentId;
      approved = true;
      state.status = 'deciding';
    }
    if (policy.route !== 'AGENT') return finish('REJECTED', policy.explanation.join('; '));

    if (contract.pipeline) return runPipeline(contract.pipeline, approved);

    // 4. Selection among the permitted agents; the rest are fallbacks, in order.
    const selection = await selectAgent({
      permitted: policy.permitted,
      ...(policy.standings ? { standings: policy.standings } : {}),
      ...(preferred ? { preferred } : {}),
    });
    decision.agentId = selection.agentId;
    decision.fallbacks = selection.fallbacks;
    note(
      'select',
      `agent ${selection.agentId ?? 'none'}${selection.fallbacks.length ? `, fallbacks ${selection.fallbacks.join(', ')}` : ''}`,
      selection.scores,
    );
    if (!selection.agentId) {
      const closedOff = selection.scores.filter((sc) => sc.reasons.some((r) => r.startsWith('circuit')));
      if (closedOff.length === 0) return finish('REJECTED', 'no permitted agent is registered');
      return escalate(
        `every permitted agent is unavailable: ${closedOff.map((sc) => `${sc.agentId} (circuit open)`).join(', ')}`,
        policy,
      );
    }

    // 5. Execution and output validation, agent by agent until one delivers valid output.
    state.status = 'executing';
    // The ledger update and the audit record do not depend on each other: run side by side, they
    // cost one step's wait instead of two (docs/performance.md, "Levers").
    const together = patched(PATCH_SETTLE_TOGETHER);
    const done = await runAgents(selection, contract.id, input, true, together);
    if (!done) return escalate('every permitted agent failed', policy);
    state.output = done.output;
    decision.agentId = done.agentId;
    const finished = await finish('SUCCEEDED');
    // The audit was written while the ledger update ran; if that update failed, write it again so
    // the record says so (the same file, replaced).
    if (!(await done.recorded)) await recordAudit(state);
    return finished;
  }

  /**
   * A reviewer's verdict on the stages it reviewed goes into the ledgers of the agents that did
   * them: work sent back counts against an agent's trust even though its call succeeded.
   */
  async function recordVerdict(reviewed: readonly string[], approved: boolean, round: number): Promise<void> {
    if (!patched('reviewer-verdict')) return;
    for (const stageId of reviewed) {
      const agentId = [...(state.stages ?? [])].reverse().find((st) => st.id === stageId)?.agentId;
      if (!agentId) continue;
      const { workflowId, runId } = workflowInfo();
      try {
        await recordAgentOutcome({
          agentId,
          outcomeId: `${workflowId}/${runId}/verdict/${stageId}/${round}`,
          outcome: {
            at: new Date().getTime(),
            ok: true,
            reviewerVerdict: approved ? 'approved' : 'rejected',
          },
        });
      } catch (err) {
        if (isCancellation(err)) throw err;
        note(
          'stage',
          `could not record the reviewer's verdict for ${agentId}: ${describeFailure(err).message}`,
        );
      }
    }
  }

  /**
   * A durable wait for a person. Each level of the escalation chain gets the deadline; members of
   * earlier levels may still answer. No answer by the end of the chain is a rejection.
   */
  async function askReviewers(
    why: string[],
    permitted: string[],
    decided: Pick<PolicyResult, 'reviewWithinMs' | 'reviewChain'>,
  ): Promise<ReviewRecord> {
    const withinMs = decided.reviewWithinMs ?? DEFAULT_REVIEW_MS;
    const chain = decided.reviewChain ?? [{ group: 'reviewers', members: ['*'] }];
    reviewPermitted = permitted;
    answer = undefined;
    const since = new Date().toISOString();
    state.review = { requestedAt: since, deadline: since, why, permitted };
    state.status = 'awaiting-review';
    for (const [level, { group }] of chain.entries()) {
      allowedReviewers = chain.slice(0, level + 1).flatMap((l) => l.members);
      state.review.group = group;
      state.review.reviewers = allowedReviewers;
      state.review.deadline = new Date(new Date().getTime() + withinMs).toISOString();
      waitingForReview = true;
      note(
        'review',
        `${level === 0 ? 'waiting for' : 'escalated to'} ${group} until ${state.review.deadline}`,
        {
          why,
          reviewers: allowedReviewers,
        },
      );
      if (await condition(() => answer !== undefined, withinMs)) break;
    }
    waitingForReview = false;
    const at = new Date().toISOString();
    // Set by the review handlers while we waited (TypeScript cannot see that through the closure).
    const got = answer as (ReviewAnswer & { via: 'update' | 'signal' }) | undefined;
    const record: ReviewRecord = got
      ? { ...got, at }
      : { decision: 'reject', reviewer: 'system', reason: 'review timed out', at, via: 'timeout' };
    state.review.answer = record;
    note(
      'review',
      got
        ? `${got.decision} by ${got.reviewer} via ${got.via}${got.reason ? `: ${got.reason}` : ''}`
        : 'review timed out at the end of the escalation chain; the safe default applies (reject)',
    );
    return record;
  }

  /**
   * No permitted agent delivered (or none was available): a person decides, never a silent
   * failure. Approval retries the agent the reviewer picks (or the best permitted one) once.
   */
  async function escalate(reason: string, decided: PolicyResult): Promise<ContractState> {
    // Runs recorded before escalation existed ended here as FAILED; they replay that way.
    if (!patched('escalate-on-exhaustion')) return finish('FAILED', reason);
    const done = await askToRetry(reason, decided, (selection) =>
      runAgents(selection, contract.id, input, true),
    );
    if (typeof done === 'string') return finish('FAILED', done);
    state.output = done.output;
    state.decision!.agentId = done.agentId;
    return finish('SUCCEEDED');
  }

  /**
   * The escalation itself, for a contract or a pipeline stage: asks a person (listed by `arbiter
   * reviews`), and on approval runs `retry` once with the agent picked or the best permitted one.
   * Returns what was delivered, or why nothing was.
   */
  async function askToRetry(
    reason: string,
    decided: PolicyResult,
    retry: (selection: Selection) => Promise<Delivered | undefined>,
  ): Promise<Delivered | string> {
    note('review', `${reason}: escalating to a person`);
    // So `arbiter reviews` and the Web UI list it with the other contracts a person must answer.
    upsertSearchAttributes([{ key: SA.route, value: 'HUMAN_REVIEW' }]);
    const reply = await askReviewers([`escalation: ${reason}`], decided.permitted, decided);
    if (reply.decision === 'reject') {
      return reply.via === 'timeout'
        ? `${reason}; the escalation timed out`
        : `${reason}; escalation rejected by ${reply.reviewer}: ${reply.reason ?? ''}`;
    }
    state.status = 'executing';
    const again = await selectAgent({
      permitted: decided.permitted,
      ...(decided.standings ? { standings: decided.standings } : {}),
      ...(reply.agentId ? { preferred: reply.agentId } : {}),
    });
    const pick = again.agentId ?? reply.agentId;
    if (!pick) return `${reason}; no agent to retry after approval`;
    const done = await retry({ ...again, agentId: pick, fallbacks: [] });
    return done ?? `${reason}; the retry approved by ${reply.reviewer} failed too`;
  }

  /**
   * Runs the selected agent, then each fallback in order, until one delivers output that passes
   * validation. Every attempt is recorded; nothing an agent returns changes the routing.
   */
  async function runAgents(
    selection: Selection,
    label: string,
    agentInput: unknown,
    validate: boolean,
    /** Return without waiting for the delivering agent's outcome to be recorded (the caller waits). */
    recordLater = false,
  ): Promise<Delivered | undefined> {
    for (const agentId of [selection.agentId ?? '', ...selection.fallbacks].filter(Boolean)) {
      const attemptId = `${workflowInfo().workflowId}/${workflowInfo().runId}/${state.attempts.length}`;
      // Runs recorded before the trust ledger existed replay without these steps.
      const measured = patched('trust-ledger');
      if (measured && selection.circuits?.[agentId] === 'half-open') {
        // One probe at a time through a half-open circuit; the others move on to a fallback.
        // A ledger that cannot answer grants nothing: the next agent is tried instead.
        const granted = await claimAgentRoute({ agentId, claimId: attemptId }).catch((err: unknown) => {
          if (isCancellation(err)) throw err;
          return false;
        });
        if (!granted) {
          note(
            'execute',
            `${label}: agent ${agentId} skipped: its circuit is half-open and another probe runs`,
          );
          continue;
        }
        note('execute', `${label}: agent ${agentId} probes its half-open circuit`);
      }
      /** Records the attempt's outcome in the agent's ledger; false when that failed (noted). */
      const measure = async (outcome: Omit<AgentOutcome, 'at'>): Promise<boolean> => {
        if (!measured) return true;
        try {
          await recordAgentOutcome({
            agentId,
            outcomeId: attemptId,
            outcome: { at: new Date().getTime(), ...outcome },
          });
          return true;
        } catch (err) {
          if (isCancellation(err)) throw err;
          // Losing one measurement must not fail the work itself; the trail says it happened.
          note('execute', `could not record the outcome for ${agentId}: ${describeFailure(err).message}`);
          return false;
        }
      };
      state.agentId = agentId;
      upsertSearchAttributes([{ key: SA.agent, value: agentId }]);
      try {
        const call = agentCall(selection, agentId, `execute ${label} with agent ${agentId}`);
        const args: Parameters<Activities['executeAgent']> = [{ contract, agentId, input: agentInput }];
        const result = call.local
          ? await executeAgentInProcess.executeWithOptions(call.options, args)
          : await executeAgent.executeWithOptions(call.options, args);
        state.usage.inputTokens += result.usage.inputTokens;
        state.usage.outputTokens += result.usage.outputTokens;
        state.usage.costUsd += result.usage.costUsd;
        note('execute', `${label}: agent ${agentId} answered in ${result.latencyMs} ms`, result.usage);
        const errors = validate
          ? await validateOutput({ schema: contract.outputSchema, output: result.output })
          : [];
        if (errors.length > 0) {
          state.attempts.push({
            agentId,
            ok: false,
            errorCategory: 'invalid-output',
            error: errors.join('; '),
            latencyMs: result.latencyMs,
          });
          state.validationErrors = errors;
          note('validate', `output of ${agentId} rejected: ${errors.join('; ')}`);
          await measure({
            ok: false,
            category: 'invalid-output',
            error: errors.join('; '),
            latencyMs: result.latencyMs,
          });
          continue;
        }
        state.attempts.push({ agentId, ok: true, latencyMs: result.latencyMs });
        const recorded = measure({ ok: true, latencyMs: result.latencyMs, costUsd: result.usage.costUsd });
        if (recordLater) {
          // Handled here so that a cancellation arriving first is not an unhandled rejection (which
          // fails the workflow task); the caller's await still sees it.
          recorded.catch(() => undefined);
        } else await recorded;
        delete state.validationErrors;
        if (validate) {
          note(
            'validate',
            contract.outputSchema ? 'output matches outputSchema' : 'no outputSchema; output accepted',
          );
        }
        return { agentId, output: result.output, recorded };
      } catch (err) {
        const { category, message } = describeFailure(err);
        state.attempts.push({ agentId, ok: false, errorCategory: category, error: message });
        note('execute', `${label}: agent ${agentId} failed (${category}): ${message}`);
        if (isCancellation(err)) throw err;
        await measure({ ok: false, category, error: message });
      }
    }
    return undefined;
  }

  /**
   * A multi-agent pipeline: each stage is decided by policy for its role, run with the outputs of
   * the stages it comes after, and recorded. A reviewer stage answering {approved: false} sends
   * the work back to the stages before it, at most MAX_SEND_BACKS times.
   */
  async function runPipeline(
    stages: NonNullable<Contract['pipeline']>,
    reviewed: boolean,
  ): Promise<ContractState> {
    state.status = 'executing';
    state.stages = [];
    const outputs = new Map<string, unknown>();
    const order = topologicalOrder(stages.map((st) => ({ id: st.id, dependsOn: st.after })));
    const byId = new Map(stages.map((st) => [st.id, st]));
    // The work product is the last stage that is not a review; it is what outputSchema checks.
    const product =
      [...order].reverse().find((id) => byId.get(id)?.role !== 'reviewer') ?? order[order.length - 1];
    let feedback: string | undefined;
    let round = 1;
    for (let i = 0; i < order.length; i++) {
      const stage = byId.get(order[i]!)!;
      const named = `stage ${stage.id}`;
      let stagePolicy = await evaluatePolicy({
        contract,
        classification: state.classification!,
        reviewed,
        role: stage.role,
      });
      note(
        'stage',
        `${stage.id} (${stage.role}): ${stagePolicy.route} [${stagePolicy.policyIds.join(', ') || 'default deny'}]`,
        {
          candidates: stagePolicy.candidates,
        },
      );
      // A stage that policy sends to a person waits for one, as a lone contract does (runs
      // recorded before the patch ended as REJECTED just below, and replay that way).
      let preferred: string | undefined;
      if (stagePolicy.route === 'HUMAN_REVIEW' && patched(PATCH_PIPELINE_REVIEW)) {
        const afterApproval = await evaluatePolicy({
          contract,
          classification: state.classification!,
          reviewed: true,
          role: stage.role,
        });
        upsertSearchAttributes([{ key: SA.route, value: 'HUMAN_REVIEW' }]);
        const reply = await askReviewers(
          stagePolicy.explanation.map((line) => `${named} (${stage.role}): ${line}`),
          afterApproval.permitted,
          stagePolicy,
        );
        if (reply.decision === 'reject') {
          return finish(
            'REJECTED',
            reply.via === 'timeout'
              ? `${named}: review timed out`
              : `${named}: rejected by ${reply.reviewer}: ${reply.reason ?? ''}`,
          );
        }
        note(
          'stage',
          `${stage.id} (${stage.role}): ${afterApproval.route} after review [${afterApproval.policyIds.join(', ') || 'default deny'}]`,
          { candidates: afterApproval.candidates },
        );
        stagePolicy = afterApproval;
        preferred = reply.agentId;
        state.status = 'executing';
      }
      if (stagePolicy.route !== 'AGENT') {
        return finish('REJECTED', `${named}: ${stagePolicy.explanation.join('; ')}`);
      }
      const selection = await selectAgent({
        permitted: stagePolicy.permitted,
        ...(stagePolicy.standings ? { standings: stagePolicy.standings } : {}),
        ...(preferred ? { preferred } : {}),
      });
      const previous = Object.fromEntries(stage.after.map((a) => [a, outputs.get(a)]));
      const stageInput = {
        instructions: stage.instructions ?? null,
        input: input ?? null,
        previous,
        round,
        ...(feedback ? { feedback } : {}),
      };
      const runStage = async (chosen: Selection): Promise<Delivered | undefined> => {
        const delivered = await runAgents(
          chosen,
          `${contract.id}/${stage.id} (${stage.role})`,
          stageInput,
          stage.id === product,
        );
        state.stages!.push({
          id: stage.id,
          role: stage.role,
          round,
          agentId: delivered?.agentId ?? null,
          ok: delivered !== undefined,
        });
        return delivered;
      };
      let done = await runStage(selection);
      if (!done) {
        const reason = `${named}: every permitted ${stage.role} agent failed`;
        // Runs recorded before the patch ended here as FAILED; they replay that way.
        if (!patched(PATCH_PIPELINE_REVIEW)) return finish('FAILED', reason);
        const retried = await askToRetry(reason, stagePolicy, runStage);
        if (typeof retried === 'string') return finish('FAILED', retried);
        done = retried;
      }
      outputs.set(stage.id, done.output);
      const verdict = done.output as { approved?: unknown; feedback?: unknown } | null;
      if (stage.role === 'reviewer' && verdict && typeof verdict.approved === 'boolean') {
        await recordVerdict(stage.after, verdict.approved, round);
      }
      if (stage.role === 'reviewer' && verdict && verdict.approved === false) {
        if (round > MAX_SEND_BACKS) {
          return finish('FAILED', `stage ${stage.id}: the reviewer rejected the work ${round} times`);
        }
        feedback = typeof verdict.feedback === 'string' ? verdict.feedback : 'rejected by the reviewer';
        note('stage', `${stage.id} sent the work back (round ${round}): ${feedback}`);
        round += 1;
        // Back to the first stage this reviewer comes after, to redo the work with the feedback.
        const back = Math.min(...stage.after.map((a) => order.indexOf(a)).filter((x) => x >= 0));
        i = (Number.isFinite(back) ? back : i) - 1;
        continue;
      }
    }
    state.output = outputs.get(product!);
    state.decision!.agentId = state.agentId ?? null;
    return finish('SUCCEEDED');
  }
}

const STATUS_OF = {
  SUCCEEDED: 'completed',
  FAILED: 'failed',
  REJECTED: 'rejected',
  CANCELLED: 'cancelled',
} as const satisfies Record<Outcome, ContractState['status']>;

function describeFailure(err: unknown): { category: ErrorCategory; message: string } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof TimeoutFailure)
    return { category: 'timeout', message: 'the agent did not answer in time' };
  if (cause instanceof ApplicationFailure) {
    // Other failure types are not agent categories: an answer too big for the history could not
    // be used (invalid output); anything else the agent threw is an agent error.
    const category = isErrorCategory(cause.type)
      ? cause.type
      : cause.type === 'PayloadsTooLarge'
        ? 'invalid-output'
        : 'agent-error';
    return { category, message: cause.message };
  }
  return { category: 'unknown', message: err instanceof Error ? err.message : String(err) };
}
