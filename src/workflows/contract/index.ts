// The contract workflow: the flow every contract follows, one step per line. The orchestrator,
// never the agent, decides: classify -> decide by policy -> (a person, when policy asks) -> select
// -> execute and validate -> audit. The modules beside this file say how each step is done; every
// step is recorded in the trail (run.ts), and nothing a step returns is trusted without parsing.
import { CancellationScope, isCancellation } from '@temporalio/workflow';
import { SEARCH_ATTRIBUTES as SA } from '../../shared/constants.js';
import type { ContractInputPayload } from '../../shared/contract.js';
import type { Classification, ContractState, PolicyResult } from '../../shared/decision.js';
import { deliver, noAgentReason, select, type Delivered } from './agents.js';
import { admit, listen, recordCancellation } from './entry.js';
import { escalate } from './escalation.js';
import { runPipeline } from './pipeline.js';
import { askPerson, rejection } from './review.js';
import { ContractRun } from './run.js';
import { LoopStopped } from './toolLoop.js';
import { classify, evaluatePolicy, recordAudit } from './steps.js';

export async function contractWorkflow(payload: ContractInputPayload): Promise<ContractState> {
  const { contract, planId, input, requireReview } = admit(payload);
  const run = new ContractRun(contract, input);
  listen(run);
  try {
    run.record('submitted', {
      workflowId: run.state.workflowId,
      contractId: contract.id,
      title: contract.title,
      ...(planId ? { planId } : {}),
      dataClass: contract.constraints.dataClass,
    });
    if (planId) run.tag({ key: SA.plan, value: planId });
    return await govern(run, requireReview ?? []);
  } catch (err) {
    if (isCancellation(err)) await CancellationScope.nonCancellable(() => recordCancellation(run));
    // An agent's tool loop hit a hard bound: the contract ends there, with the bound as the reason.
    if (err instanceof LoopStopped) return run.finish('FAILED', err.message);
    throw err;
  }
}

async function govern(run: ContractRun, requireReview: string[]): Promise<ContractState> {
  const classification = await classifyContract(run);
  let policy = await decide(run, classification);
  const why = reviewReasons(run, policy, requireReview);
  let preferred: string | undefined;
  if (why) {
    const afterApproval = await evaluatePolicy({ contract: run.contract, classification, reviewed: true });
    const answer = await askPerson(run, {
      subject: 'contract',
      why,
      permitted: afterApproval.permitted,
      decided: policy,
    });
    if (answer.decision === 'reject') return run.finish('REJECTED', rejection(answer));
    policy = afterApproval;
    preferred = answer.agentId;
  }
  if (policy.route !== 'AGENT') return run.finish('REJECTED', policy.explanation.join('; '));
  if (run.contract.pipeline) return runPipeline(run, run.contract.pipeline, why !== undefined);
  return execute(run, policy, preferred);
}

/** What kind of work this is. The classifier never sees the agents. */
async function classifyContract(run: ContractRun) {
  const classification = await classify(run.contract);
  run.record('classified', classification);
  run.tag(
    { key: SA.domain, value: classification.domain },
    { key: SA.confidence, value: classification.confidence },
  );
  return classification;
}

/** Cedar decides the route and who may do the work, before anything runs. */
async function decide(run: ContractRun, classification: Classification) {
  const policy = await evaluatePolicy({ contract: run.contract, classification });
  run.record('decided', policy);
  run.reviewPolicy = policy;
  run.tag({ key: SA.route, value: policy.route }, { key: SA.policyVersion, value: policy.policyVersion });
  return policy;
}

/** Why a person must look first: policy's reasons, or a plan's on top of an AGENT route. */
function reviewReasons(
  run: ContractRun,
  policy: PolicyResult,
  requireReview: string[],
): string[] | undefined {
  if (policy.route === 'HUMAN_REVIEW') return policy.explanation;
  if (policy.route !== 'AGENT' || requireReview.length === 0) return undefined;
  // A plan may require a person on top of policy, never instead of it: a REJECT stays one.
  run.record('review-required', { why: requireReview });
  return requireReview;
}

/** The selected agent, then the fallbacks; a person when none is available or none delivers. */
async function execute(run: ContractRun, policy: PolicyResult, preferred?: string): Promise<ContractState> {
  const task = { label: run.contract.id, input: run.input, validate: true };
  const selection = await select(run, policy, { preferred });
  if (!selection.agentId) {
    const { unavailable, reason } = noAgentReason(selection);
    if (!unavailable) return run.finish('REJECTED', reason);
    return settleEscalation(run, await escalate(run, reason, policy, (s) => deliver(run, s, task)));
  }
  const delivered = await deliver(run, selection, task);
  if (!delivered) {
    const reason = 'every permitted agent failed';
    return settleEscalation(run, await escalate(run, reason, policy, (s) => deliver(run, s, task)));
  }
  return settle(run, delivered);
}

/**
 * A delivered contract: its audit is written while the agent's outcome goes to its ledger (the
 * two do not depend on each other). If that update failed, the audit is written again to say so.
 */
async function settle(run: ContractRun, delivered: Delivered): Promise<ContractState> {
  run.state.output = delivered.output;
  const [state, measured] = await Promise.all([
    run.finish('SUCCEEDED', undefined, delivered.agentId),
    delivered.measured,
  ]);
  if (!measured) await recordAudit(state);
  return state;
}

async function settleEscalation(run: ContractRun, done: Delivered | string): Promise<ContractState> {
  if (typeof done === 'string') return run.finish('FAILED', done);
  run.state.output = done.output;
  await done.measured;
  return run.finish('SUCCEEDED', undefined, done.agentId);
}
