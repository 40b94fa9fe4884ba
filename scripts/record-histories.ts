// Records workflow histories for the replay tests (test/replay/histories). It only writes the
// histories that are missing: the checked-in ones are how we prove old runs still replay on new
// code, so they are never recorded over (delete one by hand only when a change is meant to be
// incompatible, and say so in the commit).
//   npx tsx scripts/record-histories.ts
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { Arbiter } from '../src/client.js';
import { loadConfig } from '../src/config/settings.js';
import { startDevServer } from '../src/embedded/devServer.js';
import { loadContract, loadPlan } from '../src/config/files.js';
import { connectWorker, createWorker } from '../src/worker.js';

Runtime.install({ logger: new DefaultLogger('WARN') });
const out = new URL('../test/replay/histories/', import.meta.url).pathname;
mkdirSync(out, { recursive: true });
const server = await startDevServer({ port: 17999 });
const dataDir = mkdtempSync(join(tmpdir(), 'arbiter-record-'));
const agentsFile = join(dataDir, 'agents.yaml');
writeFileSync(
  agentsFile,
  `agents:
  - { id: broken, description: always fails, capabilities: { domains: [data, finance] }, endpoint: { kind: builtin, name: failing }, clearance: confidential }
  - { id: analyst, description: reports, capabilities: { domains: [data, finance], roles: [researcher, analyzer, writer, reviewer] }, endpoint: { kind: builtin, name: report }, clearance: confidential, pricing: { perCallUsd: 0.01 } }
`,
);
const config = { ...loadConfig(), address: server.address, taskQueue: 'record', dataDir, agentsFile };
// Stage reviews need a policy that sends a stage (not the whole contract) to a person: the default
// policies plus one for writer stages, on a queue of its own so the other cases keep the defaults.
const policiesDir = join(dataDir, 'policies');
cpSync(new URL('../policies', import.meta.url).pathname, policiesDir, { recursive: true });
appendFileSync(
  join(policiesDir, 'review.cedar'),
  `
@id("writer-review")
@route("HUMAN_REVIEW")
@explanation("A writer stage's draft goes to a person before an agent writes it.")
forbid (principal, action == Arbiter::Action::"execute", resource)
when { resource.role == "writer" }
unless { context.reviewed };
`,
);
const stageReviewConfig = { ...config, taskQueue: 'record-stage-review', policiesDir };
const connection = await connectWorker(config);
const worker = await createWorker({ config }, connection);
const stageReviewWorker = await createWorker({ config: stageReviewConfig }, connection);
const arbiter = await Arbiter.connect(config);
const stageReviewArbiter = await Arbiter.connect(stageReviewConfig);
const example = (name: string) =>
  loadContract(new URL(`../examples/contracts/${name}.yaml`, import.meta.url).pathname);

/** Approves the review the contract waits for (as alice, the first reviewer group). */
async function approveWhenAsked(client: Arbiter, workflowId: string): Promise<void> {
  for (;;) {
    const s = await client.contractStatus(workflowId);
    if (s.status === 'awaiting-review') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await client.review(workflowId, { decision: 'approve', reviewer: 'alice' });
}

/** Ledger histories, one per ledger code shape (each recorded by the code of its day). */
const ledgerCases = ['agent-ledger', 'agent-ledger-memo'];

const recordAll = async () => {
  const cases = {
    // Recorded after the trust ledger (patched 'trust-ledger'): outcomes recorded per attempt.
    'contract-measured': { ...example('analytics-dashboard'), id: 'measured' },
    'contract-pipeline': example('research-pipeline'),
    'contract-fallback': example('analytics-dashboard'),
    'contract-review-approved': example('quarterly-forecast'),
    'contract-rejected': example('patient-records'),
    // Recorded after governance steps became local activities (patched 'local-steps').
    'contract-local-steps': { ...example('analytics-dashboard'), id: 'local-steps' },
    // Recorded after a delivered contract's outcome and audit were recorded together
    // (patched 'settle-together').
    'contract-settle-together': { ...example('analytics-dashboard'), id: 'settle-together' },
  };
  // Recorded after pipeline stages could wait for a person (patched 'pipeline-review').
  const stageReviewCases = {
    'contract-pipeline-review': { ...example('research-pipeline'), id: 'pipeline-review' },
  };
  const plans = {
    'plan-dependency-aware': loadPlan(
      new URL('../examples/plans/social-analytics.yaml', import.meta.url).pathname,
    ),
  };
  // Recorded after conditional plans existed (routing by policy, progress memo, cancel forwarding).
  const conditional = loadPlan(new URL('../examples/plans/conditional.yaml', import.meta.url).pathname);
  const missing = (name: string) => !existsSync(join(out, `${name}.json`));
  const save = async (name: string, workflowId: string) => {
    const history = await arbiter.client.workflow.getHandle(workflowId).fetchHistory();
    writeFileSync(join(out, `${name}.json`), historyToJSON(history));
    console.log(`recorded ${name} (${history.events?.length ?? 0} events)`);
  };
  for (const [name, plan] of Object.entries(plans)) {
    if (!missing(name)) continue;
    const { workflowId } = await arbiter.processPlan(plan);
    await arbiter.result(workflowId);
    await save(name, workflowId);
  }
  for (const [name, contract] of Object.entries(cases)) {
    if (!missing(name)) continue;
    const { workflowId } = await arbiter.processContract(contract);
    if (name === 'contract-review-approved') await approveWhenAsked(arbiter, workflowId);
    await arbiter.result(workflowId);
    await save(name, workflowId);
  }
  if (missing('plan-conditional')) {
    // The human-review node waits for a person: approve every review the plan's children ask for.
    const { workflowId } = await arbiter.processPlan(conditional);
    const done = arbiter.result(workflowId);
    let finished = false;
    void done.finally(() => (finished = true));
    while (!finished) {
      for (const r of await arbiter.reviews()) {
        if (r.workflowId.startsWith(`${workflowId}/`)) {
          await arbiter
            .review(r.workflowId, { decision: 'approve', reviewer: 'alice' })
            .catch(() => undefined);
        }
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    await save('plan-conditional', workflowId);
  }
  if (missing('plan-cancelled')) {
    // Cancelled while a child waits for a review: the plan tells each running child who and why.
    const { workflowId } = await arbiter.processPlan({ ...conditional, id: 'cancelled-plan' });
    for (;;) {
      if ((await arbiter.reviews()).some((r) => r.workflowId.startsWith(`${workflowId}/`))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await arbiter.cancel(workflowId, 'recording a cancelled plan', 'recorder');
    await arbiter.result(workflowId).catch(() => undefined);
    await save('plan-cancelled', workflowId);
  }
  if (missing('request-fallback')) {
    // No LLM is configured here: the request degrades to one contract for review, then continues
    // as new into the plan. The request workflow is the first run.
    const { workflowId } = await arbiter.orchestrateFromClientPrompt('Recorded request with no model', {
      id: 'recorded-request',
    });
    const first = (await arbiter.client.workflow.getHandle(workflowId).describe()).runId;
    for (;;) {
      const d = await arbiter.client.workflow.getHandle(workflowId, first).describe();
      if (d.status.name !== 'RUNNING') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const history = await arbiter.client.workflow.getHandle(workflowId, first).fetchHistory();
    writeFileSync(join(out, 'request-fallback.json'), historyToJSON(history));
    console.log(`recorded request-fallback (${history.events?.length ?? 0} events)`);
    await arbiter.cancel(workflowId, 'recorded', 'recorder').catch(() => undefined);
  }
  // The trust ledger of the agent the cases above used (a long-running entity workflow: its
  // history so far). Fed by one contract of its own so it exists even when nothing else ran.
  for (const name of ledgerCases) {
    if (!missing(name)) continue;
    const { workflowId } = await arbiter.processContract({ ...example('analytics-dashboard'), id: name });
    await arbiter.result(workflowId);
    await save(name, `agent/${config.taskQueue}/analyst`);
  }
  for (const [name, contract] of Object.entries(stageReviewCases)) {
    if (!missing(name)) continue;
    const { workflowId } = await stageReviewArbiter.processContract(contract);
    await approveWhenAsked(stageReviewArbiter, workflowId);
    await stageReviewArbiter.result(workflowId);
    await save(name, workflowId);
  }
};
await worker.runUntil(() => stageReviewWorker.runUntil(recordAll));
await stageReviewArbiter.close();
await arbiter.close();
await connection.close();
await server.stop();
