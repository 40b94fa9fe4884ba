// A multi-agent pipeline: each stage is decided by policy for its role (waiting for a person when
// policy says so), done by a permitted agent with the outputs of the stages it comes after, and
// recorded. A reviewer stage answering {approved: false} sends the work back to the stages before
// it, at most MAX_SEND_BACKS times. The same review, selection and escalation as a lone contract.
import type { Contract } from '../../shared/contract.js';
import type { ContractState, Outcome, PolicyResult, Selection } from '../../shared/decision.js';
import { topologicalOrder } from '../../shared/graph.js';
import { deliver, measureVerdict, select, type Delivered } from './agents.js';
import { escalate } from './escalation.js';
import { askPerson, rejection } from './review.js';
import type { ContractRun } from './run.js';
import { evaluatePolicy } from './steps.js';

/** How often a reviewer stage may send work back before the contract fails. */
export const MAX_SEND_BACKS = 2;

type Stage = NonNullable<Contract['pipeline']>[number];
type Ending = { outcome: Outcome; reason: string };

interface Round {
  number: number;
  feedback?: string;
  /** The outputs of the stages done so far (the latest round of each). */
  outputs: Map<string, unknown>;
}

export async function runPipeline(
  run: ContractRun,
  stages: NonNullable<Contract['pipeline']>,
  reviewed: boolean,
): Promise<ContractState> {
  const order = topologicalOrder(stages.map((s) => ({ id: s.id, dependsOn: s.after })));
  const byId = new Map(stages.map((s) => [s.id, s]));
  // The work product is the last stage that is not a review; it is what outputSchema checks.
  const product = [...order].reverse().find((id) => byId.get(id)?.role !== 'reviewer') ?? order.at(-1);
  const round: Round = { number: 1, outputs: new Map() };
  for (let i = 0; i < order.length; i++) {
    const stage = byId.get(order[i]!)!;
    const done = await runStage(run, stage, round, { reviewed, product: stage.id === product });
    if ('outcome' in done) return run.finish(done.outcome, done.reason);
    round.outputs.set(stage.id, done.output);
    const verdict = reviewerVerdict(stage, done.output);
    if (verdict === undefined) continue;
    await measureVerdict(run, stage.after, verdict.approved, round.number);
    if (verdict.approved) continue;
    if (round.number > MAX_SEND_BACKS) {
      return run.finish('FAILED', `stage ${stage.id}: the reviewer rejected the work ${round.number} times`);
    }
    run.record('sent-back', { stage: stage.id, round: round.number, feedback: verdict.feedback });
    round.feedback = verdict.feedback;
    round.number += 1;
    // Back to the first stage this reviewer comes after, to redo the work with the feedback.
    const back = Math.min(...stage.after.map((a) => order.indexOf(a)).filter((x) => x >= 0));
    i = (Number.isFinite(back) ? back : i) - 1;
  }
  run.state.output = round.outputs.get(product!);
  return run.finish('SUCCEEDED', undefined, run.state.agentId ?? null);
}

/** A reviewer stage's verdict, when it gave one. */
function reviewerVerdict(stage: Stage, output: unknown): { approved: boolean; feedback: string } | undefined {
  if (stage.role !== 'reviewer' || !output || typeof output !== 'object') return undefined;
  const { approved, feedback } = output as { approved?: unknown; feedback?: unknown };
  if (typeof approved !== 'boolean') return undefined;
  return { approved, feedback: typeof feedback === 'string' ? feedback : 'rejected by the reviewer' };
}

/** Decides, reviews if asked, selects and runs one stage; an Ending when the contract ends here. */
async function runStage(
  run: ContractRun,
  stage: Stage,
  round: Round,
  { reviewed, product }: { reviewed: boolean; product: boolean },
): Promise<Delivered | Ending> {
  const named = `stage ${stage.id}`;
  const decided = await decideStage(run, stage, reviewed);
  if ('outcome' in decided) return decided;
  const { policy, preferred } = decided;
  if (policy.route !== 'AGENT') {
    return { outcome: 'REJECTED', reason: `${named}: ${policy.explanation.join('; ')}` };
  }
  const task = {
    label: `${run.contract.id}/${stage.id} (${stage.role})`,
    role: stage.role,
    input: {
      instructions: stage.instructions ?? null,
      input: run.input ?? null,
      previous: Object.fromEntries(stage.after.map((a) => [a, round.outputs.get(a)])),
      round: round.number,
      ...(round.feedback ? { feedback: round.feedback } : {}),
    },
    validate: product,
  };
  const attempt = async (selection: Selection) => {
    const delivered = await deliver(run, selection, task);
    run.record('stage-finished', {
      id: stage.id,
      role: stage.role,
      round: round.number,
      agentId: delivered?.agentId ?? null,
      ok: delivered !== undefined,
    });
    if (delivered) await delivered.measured;
    return delivered;
  };
  const done = await attempt(await select(run, policy, { preferred, stage: stage.id }));
  if (done) return done;
  const reason = `${named}: every permitted ${stage.role} agent failed`;
  const retried = await escalate(run, reason, policy, attempt, stage.id);
  return typeof retried === 'string' ? { outcome: 'FAILED', reason: retried } : retried;
}

/** Policy for the stage's role; a person first when policy says so. */
async function decideStage(
  run: ContractRun,
  stage: Stage,
  reviewed: boolean,
): Promise<{ policy: PolicyResult; preferred?: string } | Ending> {
  const { contract, state } = run;
  const ask = (asReviewed: boolean) =>
    evaluatePolicy({
      contract,
      classification: state.classification!,
      reviewed: asReviewed,
      role: stage.role,
    });
  const policy = await ask(reviewed);
  run.record('stage-decided', { stage: stage.id, role: stage.role, afterReview: false, policy });
  if (policy.route !== 'HUMAN_REVIEW') return { policy };
  const afterApproval = await ask(true);
  const answer = await askPerson(run, {
    subject: 'stage',
    why: policy.explanation.map((line) => `stage ${stage.id} (${stage.role}): ${line}`),
    permitted: afterApproval.permitted,
    decided: policy,
  });
  if (answer.decision === 'reject') {
    return { outcome: 'REJECTED', reason: rejection(answer, `stage ${stage.id}`) };
  }
  run.record('stage-decided', {
    stage: stage.id,
    role: stage.role,
    afterReview: true,
    policy: afterApproval,
  });
  return { policy: afterApproval, ...(answer.agentId ? { preferred: answer.agentId } : {}) };
}
