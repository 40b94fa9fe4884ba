// Governance steps run as local activities: the history records them as markers in the workflow's
// own tasks (no activity task per step), while the audit trail says exactly what it said before.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditFileName } from '../../src/activities/audit.js';
import { readSnapshot } from '../../src/governance/ledgers.js';
import { loadPolicySet } from '../../src/governance/policy.js';
import { Contract } from '../../src/shared/contract.js';
import type { ContractState } from '../../src/shared/decision.js';
import type { contractWorkflow } from '../../src/workflows/index.js';
import { agentsFile, clientFor, repoFile, testConfig, withWorker } from '../support/temporal.js';

const GOVERNANCE = [
  'classify',
  'evaluatePolicy',
  'selectAgent',
  'validateOutput',
  'recordAudit',
  'recordAgentOutcome',
  'claimCircuitProbe',
];

let client: Client;
let connection: Connection;

beforeAll(async () => {
  ({ client, connection } = await clientFor(testConfig()));
});
afterAll(async () => {
  await connection.close();
});

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The activity type a local activity marker stands for (core writes it as JSON in `data`). */
function localActivityType(event: HistoryEvent): string | undefined {
  const marker = event.markerRecordedEventAttributes;
  if (marker?.markerName !== 'core_local_activity') return undefined;
  const bytes = marker.details?.data?.payloads?.[0]?.data;
  if (!bytes) return undefined;
  return (JSON.parse(Buffer.from(bytes).toString('utf8')) as { activity_type?: string }).activity_type;
}

/** The patch a patch marker records (core writes `{id, deprecated}` as JSON in `patch-data`). */
function patchId(event: HistoryEvent): string | undefined {
  const marker = event.markerRecordedEventAttributes;
  if (marker?.markerName !== 'core_patch') return undefined;
  const bytes = marker.details?.['patch-data']?.payloads?.[0]?.data;
  if (!bytes) return undefined;
  return (JSON.parse(Buffer.from(bytes).toString('utf8')) as { id?: string }).id;
}

describe('governance steps as local activities', () => {
  it('records classify, policy, select, validate and audit as markers, with the same audit trail', async () => {
    const config = testConfig({
      agentsFile: agentsFile(`agents:
  - { id: analyst, description: a, capabilities: { domains: [data] }, endpoint: { kind: builtin, name: report } }
`),
    });
    const workflowId = `contract/local-${Date.now().toString(36)}`;
    // No ledger link: evaluatePolicy and the ledger steps reach Temporal through the activity
    // context's client, which local activities get from the worker too.
    const state = await withWorker(config, async () => {
      const result = await client.workflow.execute<typeof contractWorkflow>('contractWorkflow', {
        taskQueue: config.taskQueue,
        workflowId,
        args: [
          {
            contract: Contract.parse({
              id: 'local',
              title: 'Engagement metrics dashboard',
              objective: 'Design the analytics dashboard and its metrics for engagement data.',
              outputSchema: { type: 'object', required: ['summary'] },
            }),
          },
        ],
      });
      // The outcome reached the agent's ledger, recorded through the local activity's client.
      await expect
        .poll(async () => (await readSnapshot(client, config.taskQueue, 'analyst', Date.now())).outcomes, {
          timeout: 60_000,
          interval: 250,
        })
        .toBe(1);
      return result;
    });

    const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const scheduled = events
      .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
      .filter((name): name is string => name !== undefined && name !== null);
    const local = events.map(localActivityType).filter((name): name is string => name !== undefined);
    // No governance step went through the task queue; where the agent call ran is agentCall's to
    // decide (an in-process builtin is local too, a remote agent a scheduled activity).
    expect(scheduled.filter((name) => GOVERNANCE.includes(name))).toEqual([]);
    // Every step this run took (no half-open circuit here, so no claimCircuitProbe).
    expect(local).toEqual(expect.arrayContaining(GOVERNANCE.filter((name) => name !== 'claimCircuitProbe')));
    // No version markers in a 0.2 run (README "Workflow versioning"), and the search attributes go
    // out once per phase: before the agent runs, and with the outcome.
    expect(events.map(patchId).filter(Boolean)).toEqual([]);
    expect(events.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes)).toHaveLength(2);

    expect(state.outcome).toBe('SUCCEEDED');
    expect(state.trail.map((e) => e.step)).toEqual([
      'submitted',
      'classify',
      'policy',
      'select',
      'execute',
      'validate',
      'outcome',
    ]);
    const entry = (step: string) => state.trail.find((e) => e.step === step);
    expect(entry('classify')?.data).toMatchObject({ domain: 'data', method: 'rules' });
    expect(state.decision).toMatchObject({
      route: 'AGENT',
      agentId: 'analyst',
      policyIds: ['capability-match'],
      policyVersion: loadPolicySet(repoFile('policies')).version,
    });
    expect(entry('policy')?.summary).toContain(`AGENT under policy ${state.decision?.policyVersion}`);
    expect(entry('policy')?.data).toMatchObject({
      candidates: [{ agentId: 'analyst', permitted: true, policyIds: ['capability-match'] }],
    });
    expect(entry('select')?.data).toEqual({
      agentId: 'analyst',
      fallbacks: [],
      scores: [expect.objectContaining({ agentId: 'analyst', score: expect.any(Number) as number })],
    });
    expect(entry('execute')?.summary).toMatch(/^local: agent analyst answered in \d+ ms$/);
    expect(entry('validate')?.summary).toBe('output matches outputSchema');
    expect(state.attempts).toEqual([expect.objectContaining({ agentId: 'analyst', ok: true })]);
    expect(state.trail.some((e) => e.summary.startsWith('could not record'))).toBe(false);
  });

  it('records the outcome and the audit side by side; a lost outcome is said in the trail and the audit', async () => {
    const config = testConfig({
      agentsFile: agentsFile(`agents:
  - { id: analyst, description: a, capabilities: { domains: [data] }, endpoint: { kind: builtin, name: report } }
`),
    });
    const run = async (id: string, link?: Parameters<typeof withWorker>[2]) => {
      const workflowId = `contract/${id}-${Date.now().toString(36)}`;
      const state = await withWorker(
        config,
        () =>
          client.workflow.execute<typeof contractWorkflow>('contractWorkflow', {
            taskQueue: config.taskQueue,
            workflowId,
            args: [
              { contract: Contract.parse({ id, title: 'Dashboard', objective: 'Engagement metrics.' }) },
            ],
          }),
        link,
      );
      const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
      const audit = JSON.parse(
        readFileSync(join(config.dataDir, 'audit', auditFileName(workflowId)), 'utf8'),
      ) as ContractState;
      return { state, events, audit };
    };

    // Both steps are scheduled by the same workflow activation: no marker of another step between.
    const ok = await run('together');
    const steps = ok.events.map(localActivityType).filter((t): t is string => t !== undefined);
    expect(steps.slice(-2).sort()).toEqual(['recordAgentOutcome', 'recordAudit']);
    expect(ok.state.outcome).toBe('SUCCEEDED');
    expect(ok.audit.trail.map((e) => e.step)).toEqual(ok.state.trail.map((e) => e.step));

    // A ledger that cannot be reached (its client's connection is closed): the work still succeeds,
    // and the audit file, written while the update was failing, is written again to say so.
    const { client: unreachable, connection: closed } = await clientFor(config);
    await closed.close();
    const lost = await run('lost', { client: unreachable, taskQueue: config.taskQueue });
    expect(lost.state.outcome).toBe('SUCCEEDED');
    const said = (s: ContractState) =>
      s.trail.some((e) => e.summary.startsWith('could not record the outcome for analyst'));
    expect(said(lost.state)).toBe(true);
    expect(said(lost.audit)).toBe(true);
  });
});
