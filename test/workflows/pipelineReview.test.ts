// Pipeline stages get what a lone contract gets: a person when policy asks for one (with deadline and
// the safe default), and escalation to a person when every permitted agent of the stage failed.
// Also: a plan may require review of a contract that policy would route straight to an agent.
import type { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arbiter } from '../../src/client.js';
import type { Config } from '../../src/config/settings.js';
import { Contract } from '../../src/shared/contract.js';
import type { ContractState } from '../../src/shared/decision.js';
import { loadContract } from '../../src/config/files.js';
import { reviewUpdate, stateQuery } from '../../src/shared/messages.js';
import type { contractWorkflow } from '../../src/workflows/index.js';
import {
  agentsFile,
  clientFor,
  policiesWith,
  repoFile,
  testConfig,
  withWorker,
} from '../support/temporal.js';

type Workflow = typeof contractWorkflow;

let client: Client;
let connection: Connection;
let arbiter: Arbiter;

beforeAll(async () => {
  const config = testConfig();
  ({ client, connection } = await clientFor(config));
  arbiter = await Arbiter.connect(config);
});
afterAll(async () => {
  await arbiter.close();
  await connection.close();
});

/** researcher → analyzer → writer → reviewer, as in examples/contracts/research-pipeline.yaml. */
const pipeline = (id: string): Contract => ({
  ...loadContract(repoFile('examples/contracts/research-pipeline.yaml')),
  id,
});

const agents = (writer: string) =>
  agentsFile(`agents:
  - { id: scout, description: s, capabilities: { domains: [data, research, general], roles: [researcher] }, endpoint: { kind: builtin, name: report } }
  - { id: crunch, description: c, capabilities: { domains: [data, research, general], roles: [analyzer, writer] }, endpoint: { kind: builtin, name: ${writer} } }
  - { id: scribe, description: w, capabilities: { domains: [data, research, general], roles: [writer] }, endpoint: { kind: builtin, name: ${writer} } }
  - { id: judge, description: j, capabilities: { domains: [data, research, general], roles: [reviewer] }, endpoint: { kind: builtin, name: reviewer } }
`);

/** The default policies plus one that sends every writer stage to a person first. */
const writerReview = (within: string) =>
  policiesWith((file, text) =>
    file === 'review.cedar'
      ? `${text}
@id("writer-review")
@route("HUMAN_REVIEW")
@reviewWithin("${within}")
@explanation("A writer stage's draft goes to a person before an agent writes it.")
forbid (principal, action == Arbiter::Action::"execute", resource)
when { resource.role == "writer" }
unless { context.reviewed };
`
      : text,
  );

async function start(config: Config, c: Contract, requireReview?: string[]) {
  return client.workflow.start<Workflow>('contractWorkflow', {
    taskQueue: config.taskQueue,
    workflowId: `contract/${c.id}-${Date.now().toString(36)}`,
    args: [{ contract: c, ...(requireReview ? { requireReview } : {}) }],
  });
}

async function waitingState(handle: Awaited<ReturnType<typeof start>>): Promise<ContractState> {
  await expect
    .poll(async () => (await handle.query(stateQuery)).status, { timeout: 30_000 })
    .toBe('awaiting-review');
  return handle.query(stateQuery);
}

describe('pipeline stage review', () => {
  it('waits for a person on the stage policy sends to review, then runs it with the approved agent', async () => {
    const config = testConfig({ agentsFile: agents('report'), policiesDir: writerReview('PT24H') });
    // `reviews` lists the contracts of its own task queue: this test's.
    const reviewer = await Arbiter.connect(config);
    const state = await withWorker(config, async () => {
      const handle = await start(config, pipeline('stage-review'));
      const waiting = await waitingState(handle);
      // The stages before the writer ran; the writer waits, named with its role and the policy.
      expect(waiting.stages?.map((s) => s.id)).toEqual(['research', 'analysis']);
      expect(waiting.review?.why).toEqual([
        `stage brief (writer): writer-review: A writer stage's draft goes to a person before an agent writes it.`,
      ]);
      expect(waiting.review?.permitted.sort()).toEqual(['crunch', 'scribe']);
      // `arbiter reviews` lists it (search attributes are indexed shortly after they change).
      await expect
        .poll(async () => (await reviewer.reviews()).find((r) => r.workflowId === handle.workflowId)?.why, {
          timeout: 30_000,
        })
        .toEqual(waiting.review?.why);
      await arbiter.review(handle.workflowId, {
        decision: 'approve',
        reviewer: 'alice',
        reason: 'scribe writes it',
        agentId: 'scribe',
      });
      return handle.result();
    }).finally(() => reviewer.close());
    expect(state.outcome).toBe('SUCCEEDED');
    expect(state.stages?.map((s) => `${s.id}:${s.agentId}`)).toEqual([
      'research:scout',
      'analysis:crunch',
      'brief:scribe',
      'review:judge',
    ]);
    // The writer got the analysis it comes after, and its output is the contract's work product.
    const output = state.output as { inputs: { previous: Record<string, unknown> } };
    expect(Object.keys(output.inputs.previous)).toEqual(['analysis']);
    expect(output.inputs.previous.analysis).toBeTruthy();
    expect(state.review?.answer).toMatchObject({ decision: 'approve', reviewer: 'alice', agentId: 'scribe' });
    const stageNotes = state.trail.filter((e) => e.step === 'stage').map((e) => e.summary);
    expect(stageNotes).toContain('brief (writer): HUMAN_REVIEW [writer-review]');
    expect(stageNotes.some((s) => s.startsWith('brief (writer): AGENT after review'))).toBe(true);
  });

  it('rejects the contract, naming the stage, when the review of a stage times out', async () => {
    const config = testConfig({ agentsFile: agents('report'), policiesDir: writerReview('PT1S') });
    const state = await withWorker(config, async () => {
      const handle = await start(config, pipeline('stage-timeout'));
      return handle.result();
    });
    expect(state.outcome).toBe('REJECTED');
    expect(state.reason).toBe('stage brief: review timed out');
    expect(state.review?.answer).toMatchObject({ decision: 'reject', via: 'timeout' });
    // The writer never ran, and neither did anything after it.
    expect(state.stages?.map((s) => s.id)).toEqual(['research', 'analysis']);
  });
});

describe('pipeline stage escalation', () => {
  it('escalates a stage whose agents all failed; a rejection fails the contract naming the stage', async () => {
    const config = testConfig({ agentsFile: agents('failing') });
    const state = await withWorker(config, async () => {
      // crunch is the analyzer too, and fails there first: the analysis stage is the one escalated.
      const handle = await start(config, pipeline('stage-escalate'));
      const waiting = await waitingState(handle);
      expect(waiting.review?.why).toEqual([
        'escalation: stage analysis: every permitted analyzer agent failed',
      ]);
      expect(waiting.stages?.map((s) => `${s.id}:${s.ok}`)).toEqual(['research:true', 'analysis:false']);
      await handle.executeUpdate(reviewUpdate, {
        args: [{ decision: 'reject', reviewer: 'bob', reason: 'the analyzer is down' }],
      });
      return handle.result();
    });
    expect(state.outcome).toBe('FAILED');
    expect(state.reason).toBe(
      'stage analysis: every permitted analyzer agent failed; escalation rejected by bob: the analyzer is down',
    );
  });

  it('retries the stage once with the agent the reviewer approves, and fails naming the stage if it fails again', async () => {
    const config = testConfig({ agentsFile: agents('failing') });
    const state = await withWorker(config, async () => {
      const handle = await start(config, pipeline('stage-retry'));
      await waitingState(handle);
      await handle.executeUpdate(reviewUpdate, {
        args: [{ decision: 'approve', reviewer: 'bob', agentId: 'crunch', reason: 'try once more' }],
      });
      return handle.result();
    });
    expect(state.outcome).toBe('FAILED');
    expect(state.reason).toBe(
      'stage analysis: every permitted analyzer agent failed; the retry approved by bob failed too',
    );
    // The approved retry ran the stage once more with the agent picked, and nothing after it ran.
    expect(state.stages?.map((s) => `${s.id}:${s.agentId ?? '-'}:${s.ok}`)).toEqual([
      'research:scout:true',
      'analysis:-:false',
      'analysis:-:false',
    ]);
    expect(state.attempts.map((a) => `${a.agentId}:${a.ok}`)).toEqual([
      'scout:true',
      'crunch:false',
      'crunch:false',
    ]);
  });
});

describe('review required by a plan', () => {
  it('sends a contract policy routes to an agent to a person first, with the reasons given', async () => {
    const config = testConfig({ agentsFile: agents('report') });
    const reasons = ['plan routing: budget above the auto-approve limit'];
    const c = Contract.parse({
      id: 'required',
      title: 'Engagement metrics dashboard',
      objective: 'Design the analytics dashboard and its metrics for engagement data.',
    });
    const state = await withWorker(config, async () => {
      const handle = await start(config, c, reasons);
      const waiting = await waitingState(handle);
      expect(waiting.review?.why).toEqual(reasons);
      expect(waiting.decision?.route).toBe('HUMAN_REVIEW');
      expect(waiting.attempts).toEqual([]);
      await handle.executeUpdate(reviewUpdate, {
        args: [{ decision: 'approve', reviewer: 'alice', reason: 'fine' }],
      });
      return handle.result();
    });
    expect(state.outcome).toBe('SUCCEEDED');
    const notes = state.trail.filter((e) => e.step === 'review').map((e) => e.summary);
    expect(notes[0]).toBe(`review required by the plan: ${reasons[0]}`);
    expect(notes.some((s) => s.includes('approve by alice'))).toBe(true);
    // Policy's own decision is still on record next to the plan's reason.
    expect(state.decision?.policyIds).toEqual(['capability-match']);
    expect(state.decision?.explanation).toContain(`review required: ${reasons[0]}`);
  });
});
