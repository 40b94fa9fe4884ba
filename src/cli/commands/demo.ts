// `arbiter demo`: the main job on embedded defaults. Starts the stack, submits the sample
// contracts, answers the one human review as a demo reviewer, and prints what happened.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Arbiter, isPlanState } from '../../client.js';
import { loadConfig } from '../../config/settings.js';
import { startStack } from '../../embedded/stack.js';
import { loadContract, loadPlan } from '../../config/files.js';
import type { ContractState } from '../../shared/decision.js';
import type { PlanState } from '../../shared/plan.js';
import { installRuntime } from '../sdkRuntime.js';
import { startDemoNotifications } from '../demoNotifications.js';
import { startDemoA2a } from './demoA2a.js';
import { startDemoTools } from './demoTools.js';
import { planLines, webUiLink } from '../output.js';

const examples = fileURLToPath(new URL('../../../examples/contracts', import.meta.url));
const plans = fileURLToPath(new URL('../../../examples/plans', import.meta.url));
const say = (line = '') => process.stdout.write(`${line}\n`);

async function untilAwaitingReview(arbiter: Arbiter, id: string): Promise<ContractState> {
  for (;;) {
    const state = await arbiter.contractStatus(id);
    if (state.status === 'awaiting-review' || state.outcome) return state;
    await sleep(200);
  }
}

const SAMPLE_REQUEST = 'Build a social media analytics platform';

async function untilGenerated(arbiter: Arbiter, workflowId: string): Promise<void> {
  for (;;) {
    const plan = await arbiter.status(workflowId).catch(() => undefined);
    if (plan && isPlanState(plan) && plan.status !== 'generating') return;
    await sleep(500);
  }
}

/** Waits for a generated plan, answering its contracts' reviews as the demo reviewer. */
async function finishRequest(arbiter: Arbiter, workflowId: string): Promise<PlanState> {
  for (;;) {
    const plan = await arbiter.status(workflowId);
    if (!isPlanState(plan)) throw new Error(`${workflowId} is not a plan`);
    if (plan.status === 'completed' || plan.status === 'cancelled') return plan;
    // status() shows a contract waiting for a person as `awaiting-review` (a running child to the plan).
    for (const node of plan.nodes.filter((n) => n.status === 'awaiting-review' || n.status === 'running')) {
      const child = await arbiter.contractStatus(node.workflowId).catch(() => undefined);
      if (child?.status !== 'awaiting-review') continue;
      say(
        `${node.workflowId} waits for a human (${child.review?.why.join('; ')}); approving as demo-reviewer`,
      );
      await arbiter.review(node.workflowId, {
        decision: 'approve',
        reviewer: 'demo-reviewer',
        reason: 'demo',
      });
    }
    await sleep(500);
  }
}

/** `arbiter demo [--keep]`. */
export async function demo(opts: { keep?: boolean }): Promise<void> {
  installRuntime('WARN');
  const log = (l: string) => process.stderr.write(`arbiter: ${l}\n`);
  const notifications = await startDemoNotifications(say);
  const a2a = await startDemoA2a(loadConfig(), log);
  const tools = startDemoTools(a2a?.config ?? loadConfig(), log);
  const stack = await startStack(tools.config, log).catch(async (err: unknown) => {
    await a2a?.stop();
    await notifications.stop();
    throw err;
  });
  const arbiter = await Arbiter.connect(stack.config);
  try {
    // A fresh suffix per run: ids are run-once, and the demo should show a new run each time.
    const run = Date.now().toString(36);
    const files = readdirSync(examples)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort();
    // The seed's request in words: the local model turns it into a plan while the rest runs.
    const request = await arbiter.submitRequest(SAMPLE_REQUEST, { id: `request-${run}` });
    say(`Request "${SAMPLE_REQUEST}" -> ${request.workflowId}: the LLM is writing its contracts...`);
    // The local model serves one request at a time: let it write the plan before the
    // contracts below ask it to classify anything.
    await untilGenerated(arbiter, request.workflowId);
    say(`Submitting ${files.length} contracts from examples/contracts (run ${run})`);
    const ids: string[] = [];
    for (const f of files) {
      const contract = loadContract(join(examples, f));
      contract.id = `${contract.id}-${run}`;
      const { workflowId } = await arbiter.submitContract(contract);
      ids.push(workflowId);
      say(`  started ${workflowId}`);
    }
    for (const id of ids) {
      const state = await untilAwaitingReview(arbiter, id);
      if (state.status !== 'awaiting-review' || !state.review) continue;
      say();
      say(`${id} waits for a human: ${state.review.why.join('; ')}`);
      say(`  (you would run: arbiter approve ${id} --reason "...")`);
      const answered = await arbiter.review(id, {
        decision: 'approve',
        reviewer: 'demo-reviewer',
        reason: 'demo: assumptions checked',
      });
      say(`  approved by demo-reviewer; the contract goes on (${answered.status})`);
    }
    say();
    say('Results');
    const results = await Promise.all(ids.map((id) => arbiter.contractResult(id)));
    for (const s of results) {
      say(`  ${s.workflowId}`);
      say(
        `    domain ${s.classification?.domain} (${s.classification?.confidence}, ${s.classification?.method})  route ${s.decision?.route}  agent ${s.agentId ?? '-'}  outcome ${s.outcome}${s.reason ? ` (${s.reason})` : ''}`,
      );
      say(
        `    policies ${s.decision?.policyIds.join(', ') || 'default deny'} @ ${s.decision?.policyVersion}  cost $${s.usage.costUsd.toFixed(4)}`,
      );
      if (s.stages)
        say(`    stages ${s.stages.map((st) => `${st.id}(${st.role}) -> ${st.agentId}`).join(', ')}`);
      say(`    Web UI ${webUiLink(stack.uiUrl, stack.config.namespace, s.workflowId)}`);
    }
    say();
    if (a2a) {
      await a2a.run(arbiter, run, say, stack.uiUrl);
      say();
    }
    await tools.run(arbiter, run, say, stack.uiUrl);
    say();
    const plan = loadPlan(join(plans, 'social-analytics.yaml'));
    plan.id = `${plan.id}-${run}`;
    say(
      `Plan ${plan.id}: ${plan.contracts.length} contracts, dependency-aware (examples/plans/social-analytics.yaml)`,
    );
    const { workflowId: planWorkflowId } = await arbiter.submitPlan(plan);
    const planState = await arbiter.result(planWorkflowId);
    if (isPlanState(planState)) for (const line of planLines(planState)) say(`  ${line}`);
    say(`    Web UI ${webUiLink(stack.uiUrl, stack.config.namespace, planWorkflowId)}`);
    say();
    const generated = await finishRequest(arbiter, request.workflowId);
    say(
      `Request ${request.workflowId}: plan by ${generated.generation?.method ?? '?'}${generated.generation?.reason ? ` (${generated.generation.reason})` : ''}`,
    );
    for (const line of planLines(generated)) say(`  ${line}`);
    say(`    Web UI ${webUiLink(stack.uiUrl, stack.config.namespace, request.workflowId)}`);
    say();
    say(`Audit trail of ${results[0]?.workflowId}: arbiter audit ${results[0]?.workflowId}`);
    for (const e of results[0]?.trail ?? []) say(`  ${e.step.padEnd(9)} ${e.summary}`);
    say();
    say(`Every run is in the Web UI: ${stack.uiUrl}/namespaces/${stack.config.namespace}/workflows`);
  } finally {
    await arbiter.close();
  }
  if (opts.keep) {
    say('The stack keeps running (--keep). Ctrl-C stops it.');
    await stack.running;
  }
  await stack.stop();
  await notifications.stop();
  await a2a?.stop();
}
