// Records workflow histories for the replay tests (test/replay/histories): one per workflow type and
// per path through the contract workflow. It only writes the histories that are missing: the
// checked-in ones prove that runs recorded by earlier code still replay on the current code, so
// they are never recorded over. (0.2.0 started a new set; README "Workflow versioning".)
//   npx tsx scripts/record-histories.ts
import {
  appendFileSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { auditFileName } from '../src/activities/audit.js';
import { Arbiter } from '../src/client.js';
import { freePort } from '../src/config/freePort.js';
import { readStanding, recordOutcome } from '../src/governance/ledgers.js';
import { loadContract, loadPlan } from '../src/config/files.js';
import { loadConfig, type Config } from '../src/config/settings.js';
import { startDevServer } from '../src/embedded/devServer.js';
import { createAgentPools } from '../src/runtime/agentPools.js';
import { WORKFLOW_TYPES } from '../src/shared/constants.js';
import type { Contract } from '../src/shared/contract.js';
import { connectWorker, createWorker } from '../src/worker.js';
import { startScriptedLlm, type ScriptedReply } from '../test/support/scriptedLlm.js';

Runtime.install({ logger: new DefaultLogger('WARN') });
const out = new URL('../test/replay/histories/', import.meta.url).pathname;
const audits = new URL('../test/replay/audits/', import.meta.url).pathname;
mkdirSync(out, { recursive: true });
const server = await startDevServer({ port: await freePort() });
const dataDir = mkdtempSync(join(tmpdir(), 'arbiter-record-'));
const agentsFile = join(dataDir, 'agents.yaml');
writeFileSync(
  agentsFile,
  `agents:
  - { id: broken, description: always fails, capabilities: { domains: [data, finance] }, endpoint: { kind: builtin, name: failing }, clearance: confidential }
  - { id: analyst, description: reports, capabilities: { domains: [data, finance], roles: [researcher, analyzer, writer, reviewer] }, endpoint: { kind: builtin, name: report }, clearance: confidential, pricing: { perCallUsd: 0.01 } }
  - { id: pooled, description: reports on its own queue, capabilities: { domains: [marketing] }, endpoint: { kind: builtin, name: report }, limits: { maxConcurrent: 1 } }
`,
);
// Escalation needs work whose every permitted agent fails: a queue of its own whose only agent
// always fails, so the other cases (plans included) never meet it.
const failingAgentsFile = join(dataDir, 'failing-agents.yaml');
writeFileSync(
  failingAgentsFile,
  `agents:
  - { id: dud, description: always fails, capabilities: { domains: [engineering] }, endpoint: { kind: builtin, name: failing } }
`,
);
const base: Config = { ...loadConfig(), address: server.address, taskQueue: 'record', dataDir, agentsFile };
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
const stageConfig: Config = { ...base, taskQueue: 'record-stage-review', policiesDir };
const escalationConfig: Config = { ...base, taskQueue: 'record-escalation', agentsFile: failingAgentsFile };

// Tool loops: an openai agent with the example MCP files server (stdio, over a temp copy of its
// folder) and a scripted model on loopback that asks for the calls each case needs, in order.
const missing = (name: string) => !existsSync(join(out, `${name}.json`));
const read = (path: string) => ({ name: 'files__read_file', arguments: { path } });
const toolScripts: Record<string, ScriptedReply[]> = {
  // Allowed read; a delete a person approves; a write policy denies (it would pass the budget).
  'contract-tool-loop': [
    { toolCalls: [read('notes/welcome.md')] },
    { toolCalls: [{ name: 'files__delete_file', arguments: { path: 'drafts/old-draft.md' } }] },
    { toolCalls: [{ name: 'files__write_file', arguments: { path: 'notes/todo.md', content: '- tidy' } }] },
    { content: JSON.stringify({ summary: 'read the welcome note, deleted the old draft' }) },
  ],
  // Four reads asked at once by an agent allowed three: the contract fails at the bound.
  'contract-tool-bound': [
    {
      toolCalls: [
        read('notes/welcome.md'),
        read('notes/q3-figures.md'),
        read('drafts/old-draft.md'),
        read('inbox/from-vendor.md'),
      ],
    },
  ],
};
const llm = await startScriptedLlm(
  Object.entries(toolScripts).flatMap(([name, script]) => (missing(name) ? script : [])),
);
const filesRoot = join(dataDir, 'mcp-files');
cpSync(new URL('../examples/mcp/files', import.meta.url).pathname, filesRoot, { recursive: true });
const toolAgentsFile = join(dataDir, 'tool-agents.yaml');
writeFileSync(
  toolAgentsFile,
  JSON.stringify({
    agents: [
      {
        id: 'librarian',
        description: 'keeps the notes with the files MCP server',
        capabilities: { domains: ['data'] },
        endpoint: {
          kind: 'openai',
          model: 'scripted',
          baseUrl: llm.baseURL,
          systemPrompt: 'You keep the notes folder tidy.',
          tools: [
            {
              id: 'files',
              command: process.execPath,
              args: [
                '--import',
                'tsx',
                new URL('../examples/mcp/files-server.ts', import.meta.url).pathname,
                '--root',
                filesRoot,
              ],
              costPerCallUsd: 0.004,
            },
          ],
          maxToolCalls: 3,
        },
      },
    ],
  }),
);
const toolConfig: Config = { ...base, taskQueue: 'record-tools', agentsFile: toolAgentsFile };
const connection = await connectWorker(base);
const workers = [
  await createWorker({ config: base }, connection),
  ...(await createAgentPools({ config: base }, connection)).map((p) => p.worker),
  await createWorker({ config: stageConfig }, connection),
  await createWorker({ config: escalationConfig }, connection),
  await createWorker({ config: toolConfig }, connection),
];
const arbiter = await Arbiter.connect(base);
const stageArbiter = await Arbiter.connect(stageConfig);
const escalationArbiter = await Arbiter.connect(escalationConfig);
const toolArbiter = await Arbiter.connect(toolConfig);
const example = (name: string) =>
  loadContract(new URL(`../examples/contracts/${name}.yaml`, import.meta.url).pathname);
const examplePlan = (name: string) =>
  loadPlan(new URL(`../examples/plans/${name}.yaml`, import.meta.url).pathname);
const contract = (fields: Pick<Contract, 'id' | 'title' | 'objective' | 'acceptanceCriteria'>): Contract => ({
  ...fields,
  constraints: { dataClass: 'internal' },
  dependsOn: [],
});
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function save(client: Client, name: string, workflowId: string, runId?: string): Promise<void> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  writeFileSync(join(out, `${name}.json`), historyToJSON(history));
  // The audit record the workflow wrote as it ran: the live trail the replayed one is compared with.
  const audit = join(dataDir, 'audit', auditFileName(workflowId));
  if (existsSync(audit)) {
    mkdirSync(audits, { recursive: true });
    copyFileSync(audit, join(audits, `${name}.json`));
  }
  console.log(`recorded ${name} (${history.events?.length ?? 0} events)`);
}

/** Waits until the contract asks a person, then answers (as alice, of the first group asked). */
async function answerWhenAsked(
  client: Arbiter,
  workflowId: string,
  decision: 'approve' | 'reject',
): Promise<void> {
  while ((await client.contractStatus(workflowId)).status !== 'awaiting-review') await pause(100);
  await client.review(workflowId, { decision, reviewer: 'alice', reason: 'recorded answer' });
}

const toolWork = {
  title: 'Tidy the notes',
  objective: 'Tidy the notes folder of the analytics dashboard data.',
  acceptanceCriteria: ['Names what was kept and what was removed'],
};

/** Six good outcomes in the tool agent's ledger: off probation, as a proven agent is. */
async function proveToolAgent(): Promise<void> {
  for (let i = 0; i < 6; i++) {
    await recordOutcome(toolArbiter.client, toolConfig.taskQueue, {
      agentId: 'librarian',
      outcomeId: `seed-${i}`,
      outcome: { at: Date.now(), ok: true, latencyMs: 20 },
    });
  }
  while ((await readStanding(toolArbiter.client, toolConfig.taskQueue, 'librarian', Date.now())).probation) {
    await pause(200);
  }
}

/** Contract paths: what the contract is, and what a person does along the way. */
const contracts: Record<
  string,
  { contract: Contract; client?: Arbiter; act?: (id: string) => Promise<void> }
> = {
  // First, while both data agents are unmeasured: the cheaper, failing one is tried first.
  'contract-fallback': { contract: { ...example('analytics-dashboard'), id: 'fallback' } },
  'contract-succeeded': { contract: example('analytics-dashboard') },
  // Marketing work goes to the one marketing agent, which has its own limited task queue.
  'contract-agent-queue': {
    contract: contract({
      id: 'agent-queue',
      title: 'Campaign brief',
      objective: 'Draft the brand campaign brief for the newsletter audience.',
      acceptanceCriteria: ['Names the audience and the campaign message'],
    }),
  },
  'contract-review-approved': {
    contract: example('quarterly-forecast'),
    act: (id) => answerWhenAsked(arbiter, id, 'approve'),
  },
  'contract-review-rejected': {
    contract: { ...example('quarterly-forecast'), id: 'review-rejected' },
    act: (id) => answerWhenAsked(arbiter, id, 'reject'),
  },
  'contract-rejected': { contract: example('patient-records') },
  // Engineering work whose only permitted agent fails: a person is asked, and declines a retry.
  'contract-escalated': {
    contract: contract({
      id: 'escalated',
      title: 'Backend deploy checklist',
      objective: 'Write the deploy checklist for the backend service and its API.',
      acceptanceCriteria: ['Covers the API and database migration steps'],
    }),
    client: escalationArbiter,
    act: (id) => answerWhenAsked(escalationArbiter, id, 'reject'),
  },
  'contract-pipeline': { contract: example('research-pipeline') },
  'contract-pipeline-review': {
    contract: { ...example('research-pipeline'), id: 'pipeline-review' },
    client: stageArbiter,
    act: (id) => answerWhenAsked(stageArbiter, id, 'approve'),
  },
  // A proven tool agent (destructive calls go to a person only for agents off probation).
  'contract-tool-loop': {
    contract: {
      ...contract({ ...toolWork, id: 'tool-loop' }),
      constraints: { dataClass: 'internal', budgetUsd: 0.01 },
    },
    client: toolArbiter,
    act: (id) => answerWhenAsked(toolArbiter, id, 'approve'),
  },
  'contract-tool-bound': { contract: contract({ ...toolWork, id: 'tool-bound' }), client: toolArbiter },
  'contract-cancelled': {
    contract: { ...example('quarterly-forecast'), id: 'cancelled' },
    act: async (id) => {
      while ((await arbiter.contractStatus(id)).status !== 'awaiting-review') await pause(100);
      await arbiter.cancel(id, 'recording a cancelled contract', 'recorder');
    },
  },
};

async function recordContracts(): Promise<void> {
  if (missing('contract-tool-loop')) await proveToolAgent();
  for (const [name, { contract, client = arbiter, act }] of Object.entries(contracts)) {
    if (!missing(name)) continue;
    const { workflowId } = await client.submitContract(contract);
    await act?.(workflowId);
    await client.result(workflowId).catch(() => undefined);
    await save(client.client, name, workflowId);
  }
  if (missing('contract-bad-input')) {
    // Started by someone else's client with a malformed contract: the run fails at once.
    const handle = await arbiter.client.workflow.start(WORKFLOW_TYPES.contract, {
      taskQueue: base.taskQueue,
      workflowId: 'contract/bad-input',
      args: [{ contract: { id: 'bad-input', title: 5 } }],
    });
    await handle.result().catch(() => undefined);
    await save(arbiter.client, 'contract-bad-input', handle.workflowId);
  }
}

async function recordPlans(): Promise<void> {
  if (missing('plan-dependency-aware')) {
    const { workflowId } = await arbiter.submitPlan(examplePlan('social-analytics'));
    await arbiter.result(workflowId);
    await save(arbiter.client, 'plan-dependency-aware', workflowId);
  }
  const conditional = examplePlan('conditional');
  if (missing('plan-conditional')) {
    // The human-review node waits for a person: approve every review the plan's children ask for.
    const { workflowId } = await arbiter.submitPlan(conditional);
    let finished = false;
    void arbiter.result(workflowId).finally(() => (finished = true));
    while (!finished) {
      for (const r of await arbiter.reviews()) {
        if (!r.workflowId.startsWith(`${workflowId}/`)) continue;
        await arbiter.review(r.workflowId, { decision: 'approve', reviewer: 'alice' }).catch(() => undefined);
      }
      await pause(300);
    }
    await save(arbiter.client, 'plan-conditional', workflowId);
  }
  if (missing('plan-cancelled')) {
    // Cancelled while a child waits for a review: the plan tells each running child who and why.
    const { workflowId } = await arbiter.submitPlan({ ...conditional, id: 'cancelled-plan' });
    while (!(await arbiter.reviews()).some((r) => r.workflowId.startsWith(`${workflowId}/`)))
      await pause(200);
    await arbiter.cancel(workflowId, 'recording a cancelled plan', 'recorder');
    await arbiter.result(workflowId).catch(() => undefined);
    await save(arbiter.client, 'plan-cancelled', workflowId);
  }
}

async function recordRequestAndLedger(): Promise<void> {
  if (missing('request-fallback')) {
    // No LLM is configured here: the request degrades to one contract for review, then continues
    // as new into the plan. The request workflow is the first run.
    const { workflowId } = await arbiter.submitRequest('Recorded request with no model', {
      id: 'recorded-request',
    });
    const first = (await arbiter.client.workflow.getHandle(workflowId).describe()).runId;
    while (
      (await arbiter.client.workflow.getHandle(workflowId, first).describe()).status.name === 'RUNNING'
    ) {
      await pause(200);
    }
    await save(arbiter.client, 'request-fallback', workflowId, first);
    await arbiter.cancel(workflowId, 'recorded', 'recorder').catch(() => undefined);
  }
  // The trust ledger of the agent the cases above used (a long-running entity workflow: its
  // history so far).
  if (missing('agent-ledger')) await save(arbiter.client, 'agent-ledger', `agent/${base.taskQueue}/analyst`);
}

const [first, ...rest] = workers;
const runAll = rest.reduce<() => Promise<void>>(
  (inner, w) => () => w.runUntil(inner),
  async () => {
    await recordContracts();
    await recordPlans();
    await recordRequestAndLedger();
  },
);
await first!.runUntil(runAll);
await stageArbiter.close();
await escalationArbiter.close();
await toolArbiter.close();
await llm.close();
await arbiter.close();
await connection.close();
await server.stop();
