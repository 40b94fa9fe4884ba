// The contract workflow on a real Temporal dev server, with real activities and real Cedar.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditFileName } from '../../src/activities/audit.js';
import { readSnapshot } from '../../src/governance/ledgers.js';
import { loadPolicySet } from '../../src/governance/policy.js';
import { SEARCH_ATTRIBUTES } from '../../src/shared/constants.js';
import type { Contract } from '../../src/shared/contract.js';
import type { ContractState } from '../../src/shared/decision.js';
import { reviewSignal, reviewUpdate, stateQuery } from '../../src/shared/messages.js';
import { loadContract } from '../../src/config/files.js';
import { Contract as ContractSchema } from '../../src/shared/contract.js';
import {
  agentsFile,
  clientFor,
  policiesWith,
  repoFile,
  reviewersFile,
  testConfig,
  withWorker,
} from '../support/temporal.js';
import type { Client, Connection } from '@temporalio/client';
import type { contractWorkflow } from '../../src/workflows/index.js';
import type { Config } from '../../src/config/settings.js';

type Workflow = typeof contractWorkflow;

const contract = (over: Partial<Contract> & { id: string }): Contract =>
  ContractSchema.parse({
    title: 'Engagement metrics dashboard',
    objective: 'Design the analytics dashboard and its metrics for engagement data.',
    acceptanceCriteria: ['lists the metrics'],
    ...over,
  });

const agent = (id: string, builtin: string, extra = '') => `
  - id: ${id}
    description: test agent ${id}
    capabilities: { domains: [data, finance, general] }
    endpoint: { kind: builtin, name: ${builtin} }
    clearance: confidential
    ${extra}`;

let connection: Connection;
let client: Client;
let base: Config;

beforeAll(async () => {
  base = testConfig();
  ({ client, connection } = await clientFor(base));
});
afterAll(async () => {
  await connection.close();
});

async function run(config: Config, c: Contract): Promise<ContractState> {
  return client.workflow.execute<Workflow>('contractWorkflow', {
    taskQueue: config.taskQueue,
    workflowId: `contract/${c.id}-${Date.now().toString(36)}`,
    args: [{ contract: c }],
  });
}

describe('contract workflow', () => {
  it('records classification, policy decision, agent, validated output, audit trail and search attributes', async () => {
    const config = testConfig({ agentsFile: agentsFile(`agents:${agent('analyst', 'report')}`) });
    const c = contract({
      id: 'happy',
      outputSchema: { type: 'object', required: ['summary', 'criteria'] },
    });
    const workflowId = `contract/happy-${Date.now().toString(36)}`;
    const state = await withWorker(config, () =>
      client.workflow.execute<Workflow>('contractWorkflow', {
        taskQueue: config.taskQueue,
        workflowId,
        args: [{ contract: c }],
      }),
    );
    expect(state.outcome).toBe('SUCCEEDED');
    expect(state.classification).toMatchObject({ domain: 'data', method: 'rules' });
    expect(state.decision).toMatchObject({
      route: 'AGENT',
      agentId: 'analyst',
      policyIds: ['capability-match'],
      policyVersion: loadPolicySet(repoFile('policies')).version,
    });
    expect((state.output as { summary: string }).summary).toContain('Engagement');
    expect(state.trail.map((e) => e.step)).toEqual([
      'submitted',
      'classify',
      'policy',
      'select',
      'execute',
      'validate',
      'outcome',
    ]);

    const described = await client.workflow.getHandle(workflowId).describe();
    const sa = described.typedSearchAttributes;
    expect(sa.get(SEARCH_ATTRIBUTES.domain)).toBe('data');
    expect(sa.get(SEARCH_ATTRIBUTES.route)).toBe('AGENT');
    expect(sa.get(SEARCH_ATTRIBUTES.agent)).toBe('analyst');
    expect(sa.get(SEARCH_ATTRIBUTES.outcome)).toBe('SUCCEEDED');
    expect(sa.get(SEARCH_ATTRIBUTES.policyVersion)).toBe(state.decision?.policyVersion);
    expect(sa.get(SEARCH_ATTRIBUTES.confidence)).toBe(state.classification?.confidence);
    expect(sa.get(SEARCH_ATTRIBUTES.costUsd)).toBe(0);

    const file = join(config.dataDir, 'audit', auditFileName(workflowId));
    expect(existsSync(file)).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ outcome: 'SUCCEEDED', workflowId });
  });

  it('retries an agent that throws, per the execute step retry policy', async () => {
    const config = testConfig({ agentsFile: agentsFile(`agents:${agent('wobbly', 'flaky')}`) });
    const workflowId = `contract/flaky-${Date.now().toString(36)}`;
    const state = await withWorker(config, () =>
      client.workflow.execute<Workflow>('contractWorkflow', {
        taskQueue: config.taskQueue,
        workflowId,
        args: [{ contract: contract({ id: 'flaky' }) }],
      }),
    );
    expect(state.outcome).toBe('SUCCEEDED');
    expect(state.attempts).toEqual([expect.objectContaining({ agentId: 'wobbly', ok: true })]);
    // The history shows the execute step completed on its second attempt: a builtin runs
    // in-process, so the attempt is in its local-activity marker.
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const executeAttempts = (history.events ?? []).flatMap((e) => {
      const m = e.markerRecordedEventAttributes;
      if (m?.markerName !== 'core_local_activity') return [];
      const data = Buffer.from(m.details?.data?.payloads?.[0]?.data ?? new Uint8Array()).toString();
      const la = JSON.parse(data) as { activity_type?: string; attempt?: number };
      return la.activity_type === 'executeAgent' ? [la.attempt] : [];
    });
    expect(executeAttempts).toContain(2);
  });

  it('falls back to the next permitted agent when one keeps failing or returns invalid output', async () => {
    const config = testConfig({
      agentsFile: agentsFile(
        `agents:${agent('a-broken', 'failing')}${agent('b-sloppy', 'invalid-output', 'pricing: { perCallUsd: 0.01 }')}${agent('c-solid', 'report', 'pricing: { perCallUsd: 0.02 }')}`,
      ),
    });
    const state = await withWorker(config, () =>
      run(config, contract({ id: 'fallback', outputSchema: { type: 'object', required: ['summary'] } })),
    );
    expect(state.outcome).toBe('SUCCEEDED');
    expect(state.decision).toMatchObject({ agentId: 'c-solid', fallbacks: ['b-sloppy', 'c-solid'] });
    expect(state.attempts).toEqual([
      expect.objectContaining({ agentId: 'a-broken', ok: false, errorCategory: 'agent-error' }),
      expect.objectContaining({ agentId: 'b-sloppy', ok: false, errorCategory: 'invalid-output' }),
      expect.objectContaining({ agentId: 'c-solid', ok: true }),
    ]);
  });

  it('rejects by policy when no agent is cleared for the data, with the policy and its explanation', async () => {
    const config = testConfig({ agentsFile: agentsFile(`agents:${agent('analyst', 'report')}`) });
    const state = await withWorker(config, () =>
      run(config, contract({ id: 'pii', constraints: { dataClass: 'pii' } })),
    );
    expect(state.outcome).toBe('REJECTED');
    expect(state.attempts).toEqual([]);
    expect(state.decision?.route).toBe('REJECT');
    expect(state.decision?.policyIds).toContain('clearance');
    expect(state.reason).toContain('clearance');
  });

  it('waits for a human when policy asks, refuses wrong answers, and records who approved', async () => {
    const config = testConfig({
      agentsFile: agentsFile(`agents:${agent('analyst', 'report')}${agent('other', 'checklist')}`),
    });
    const workflowId = `contract/review-${Date.now().toString(36)}`;
    const c = contract({ id: 'review', review: 'always' });
    const state = await withWorker(config, async () => {
      const handle = await client.workflow.start<Workflow>('contractWorkflow', {
        taskQueue: config.taskQueue,
        workflowId,
        args: [{ contract: c }],
      });
      await expect
        .poll(async () => (await handle.query(stateQuery)).status, { timeout: 20_000 })
        .toBe('awaiting-review');
      const waiting = await handle.query(stateQuery);
      expect(waiting.decision).toMatchObject({ route: 'HUMAN_REVIEW', policyIds: ['review-requested'] });
      expect(waiting.review?.permitted.sort()).toEqual(['analyst', 'other']);

      await expect(
        handle.executeUpdate(reviewUpdate, {
          args: [{ decision: 'approve', reviewer: 'eve', agentId: 'ghost' }],
        }),
      ).rejects.toThrow(WorkflowUpdateFailedError);
      await expect(
        handle.executeUpdate(reviewUpdate, { args: [{ decision: 'reject', reviewer: 'eve' }] }),
      ).rejects.toThrow(WorkflowUpdateFailedError);
      // A malformed signal (the Web UI path) is audited and ignored, never decisive.
      await handle.signal(reviewSignal, { decision: 'approve', reviewer: '' });
      await handle.executeUpdate(reviewUpdate, {
        args: [{ decision: 'approve', reviewer: 'alice', reason: 'looks fine', agentId: 'other' }],
      });
      return handle.result();
    });
    expect(state.outcome).toBe('SUCCEEDED');
    expect(state.agentId).toBe('other');
    expect(state.review?.answer).toMatchObject({ decision: 'approve', reviewer: 'alice', via: 'update' });
    const ignored = state.trail.filter((e) => e.kind === 'signal-ignored').map((e) => e.summary);
    expect(ignored).toEqual(['ignored a review signal: reviewer must name who answers']);
    const reviewNotes = state.trail.filter((e) => e.step === 'review').map((e) => e.summary);
    expect(reviewNotes.some((s) => s.includes('approve by alice'))).toBe(true);
  });

  it('rejects with "review timed out" when nobody answers before the policy deadline', async () => {
    const policiesDir = policiesWith((_f, text) =>
      text.replaceAll('@reviewWithin("PT24H")', '@reviewWithin("PT1S")'),
    );
    const config = testConfig({
      agentsFile: agentsFile(`agents:${agent('analyst', 'report')}`),
      policiesDir,
    });
    const state = await withWorker(config, () => run(config, contract({ id: 'timeout', review: 'always' })));
    expect(state.outcome).toBe('REJECTED');
    expect(state.reason).toBe('review timed out');
    expect(state.review?.answer).toMatchObject({ decision: 'reject', via: 'timeout' });
    const notes = state.trail.filter((e) => e.step === 'review').map((e) => e.summary);
    expect(notes[0]).toMatch(/^waiting for analysts until/);
    expect(notes[1]).toMatch(/^escalated to compliance until/);
    expect(notes[2]).toMatch(/end of the escalation chain/);
  });

  it('escalates to the next reviewer group when the deadline passes, and refuses reviewers outside it', async () => {
    const policiesDir = policiesWith((_f, text) =>
      text.replaceAll('@reviewWithin("PT24H")', '@reviewWithin("PT2S")'),
    );
    // Each level of the chain waits 2 s. The first escalation only has to happen (it may come
    // late); compliance is asked again and again after it, so dave has a minute to answer however
    // slow the machine is, and the review stays with compliance the whole time.
    const chain = ['analysts', ...Array.from({ length: 30 }, () => 'compliance')];
    const reviewers = reviewersFile(
      `groups: { analysts: [alice, bob], compliance: [dave] }\nescalation: { default: [${chain.join(', ')}] }\n`,
    );
    const config = testConfig({
      agentsFile: agentsFile(`agents:${agent('analyst', 'report')}`),
      policiesDir,
      reviewersFile: reviewers,
    });
    const workflowId = `contract/escalate-${Date.now().toString(36)}`;
    const state = await withWorker(config, async () => {
      const handle = await client.workflow.start<Workflow>('contractWorkflow', {
        taskQueue: config.taskQueue,
        workflowId,
        args: [{ contract: contract({ id: 'escalate', review: 'always' }) }],
      });
      await expect
        .poll(async () => (await handle.query(stateQuery)).review?.group, { timeout: 60_000 })
        .toBe('compliance');
      const refused = handle.executeUpdate(reviewUpdate, {
        args: [{ decision: 'approve', reviewer: 'mallory' }],
      });
      await expect(refused).rejects.toThrow(WorkflowUpdateFailedError);
      await handle.executeUpdate(reviewUpdate, {
        args: [{ decision: 'approve', reviewer: 'dave', reason: 'ok' }],
      });
      return handle.result();
    });
    expect(state.outcome).toBe('SUCCEEDED');
    expect(state.review).toMatchObject({ group: 'compliance', answer: { reviewer: 'dave' } });
  });
});

describe('multi-agent pipeline', () => {
  const pipelineAgents = (reviewer: string) =>
    agentsFile(`agents:
  - { id: scout, description: s, capabilities: { domains: [data, research], roles: [researcher] }, endpoint: { kind: builtin, name: report }, clearance: confidential }
  - { id: crunch, description: c, capabilities: { domains: [data, research], roles: [analyzer, writer] }, endpoint: { kind: builtin, name: report }, clearance: confidential }
  - { id: judge, description: j, capabilities: { domains: [data, research], roles: [reviewer] }, endpoint: { kind: builtin, name: ${reviewer} }, clearance: confidential }
`);
  const pipeline = (id: string) => ({
    ...loadContract(repoFile('examples/contracts/research-pipeline.yaml')),
    id,
  });

  it('routes each stage by role, passes outputs on and records every stage', async () => {
    const config = testConfig({ agentsFile: pipelineAgents('reviewer') });
    const state = await withWorker(config, () => run(config, pipeline('pipe')));
    expect(state.outcome).toBe('SUCCEEDED');
    expect(state.stages?.map((s) => `${s.id}:${s.agentId}`)).toEqual([
      'research:scout',
      'analysis:crunch',
      'brief:crunch',
      'review:judge',
    ]);
    // The writer's output (the work product) carries the analysis it was given.
    const output = state.output as { inputs: { previous: Record<string, unknown> } };
    expect(Object.keys(output.inputs.previous)).toEqual(['analysis']);
    // Each stage: its policy decision, then who delivered it.
    expect(state.trail.filter((e) => e.step === 'stage').map((e) => e.summary)).toEqual([
      expect.stringMatching(/^research \(researcher\): AGENT \[/),
      'research (researcher) round 1: delivered by scout',
      expect.stringMatching(/^analysis \(analyzer\): AGENT \[/),
      'analysis (analyzer) round 1: delivered by crunch',
      expect.stringMatching(/^brief \(writer\): AGENT \[/),
      'brief (writer) round 1: delivered by crunch',
      expect.stringMatching(/^review \(reviewer\): AGENT \[/),
      'review (reviewer) round 1: delivered by judge',
    ]);
  });

  it('lets a reviewer send the work back, a bounded number of times', async () => {
    const config = testConfig({ agentsFile: pipelineAgents('picky-reviewer') });
    const [state, crunch] = await withWorker(config, async () => {
      const result = await run(config, pipeline('picky'));
      return [result, await readSnapshot(client, config.taskQueue, 'crunch', Date.now())] as const;
    });
    // The writer's call succeeded each time, but the reviewer's verdicts are in its ledger:
    // analysis, brief (sent back), brief again, plus the two verdicts on the briefs.
    expect(crunch.outcomes).toBe(5);
    expect(crunch.stats.successRate).toBe(0.8);
    expect(state.outcome).toBe('SUCCEEDED');
    expect(state.stages?.map((s) => `${s.id}@${s.round}`)).toEqual([
      'research@1',
      'analysis@1',
      'brief@1',
      'review@1',
      'brief@2',
      'review@2',
    ]);
    const output = state.output as { inputs: { feedback?: string } };
    expect(output.inputs.feedback).toBe('add the data sources behind each finding');
  });

  it('fails the contract, with the reason, when the reviewer still rejects after two send-backs', async () => {
    const config = testConfig({ agentsFile: pipelineAgents('stern-reviewer') });
    const state = await withWorker(config, () => run(config, pipeline('stern')));
    expect(state.outcome).toBe('FAILED');
    expect(state.status).toBe('failed');
    expect(state.reason).toBe('stage review: the reviewer rejected the work 3 times');
    // The brief was written three times (the first try and two send-backs), never a fourth.
    expect(state.stages?.map((s) => `${s.id}@${s.round}`)).toEqual([
      'research@1',
      'analysis@1',
      'brief@1',
      'review@1',
      'brief@2',
      'review@2',
      'brief@3',
      'review@3',
    ]);
    expect(state.output).toBeUndefined();
  });

  it('rejects a stage whose role no permitted agent has', async () => {
    const config = testConfig({ agentsFile: agentsFile(`agents:${agent('solo', 'report')}`) });
    const state = await withWorker(config, () => run(config, pipeline('norole')));
    expect(state.outcome).toBe('REJECTED');
    expect(state.reason).toMatch(/^stage research: role-match: /);
  });
});
