// The plan workflow on a real Temporal dev server: dependency order, skips, bounds, cancellation.
import { WorkflowNotFoundError, type Client, type Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arbiter, isPlanState } from '../../src/client.js';
import type { Config } from '../../src/config/settings.js';
import type { ContractState } from '../../src/shared/decision.js';
import { loadContract, loadPlan } from '../../src/config/files.js';
import { Plan } from '../../src/shared/contract.js';
import type { PlanState } from '../../src/shared/plan.js';
import type { planWorkflow } from '../../src/workflows/index.js';
import { agentsFile, clientFor, repoFile, testConfig, withWorker } from '../support/temporal.js';

let config: Config;
let client: Client;
let connection: Connection;
let arbiter: Arbiter;

beforeAll(async () => {
  config = testConfig();
  ({ client, connection } = await clientFor(config));
  arbiter = await Arbiter.connect(config);
});
afterAll(async () => {
  await arbiter.close();
  await connection.close();
});

const unique = (id: string) => `${id}-${Date.now().toString(36)}`;

async function runPlan(plan: Plan): Promise<PlanState> {
  const { workflowId } = await arbiter.submitPlan(plan);
  const state = await arbiter.result(workflowId);
  if (!isPlanState(state)) throw new Error('expected a plan state');
  return state;
}

describe('plan workflow', () => {
  it('runs in dependency order, passes outputs on, and skips exactly the descendants of a rejected contract', async () => {
    const plan = loadPlan(repoFile('examples/plans/social-analytics.yaml'));
    plan.id = unique('social');
    const state = await withWorker(config, () => runPlan(plan));
    const by = Object.fromEntries(state.nodes.map((n) => [n.id, n]));
    expect(by['data-model']?.status).toBe('succeeded');
    expect(by.ingestion?.status).toBe('succeeded');
    expect(by.dashboard?.status).toBe('succeeded');
    expect(by['pii-export']).toMatchObject({ status: 'rejected', route: 'REJECT' });
    expect(by['partner-report']).toMatchObject({
      status: 'skipped',
      reason: 'DEPENDENCY_FAILED: pii-export rejected',
    });
    expect(by['data-model']?.workflowId).toBe(`plan/${plan.id}/data-model`);

    // The dashboard's agent received the data model's output as its input.
    const dashboard = (await client.workflow
      .getHandle(`plan/${plan.id}/dashboard`)
      .result()) as ContractState;
    expect(dashboard.output).toMatchObject({
      inputs: { 'data-model': { summary: expect.stringContaining('Engagement data model') as unknown } },
    });
    // Nothing ran for the skipped contract.
    const listed = [];
    for await (const wf of client.workflow.list({ query: `WorkflowId = "plan/${plan.id}/partner-report"` })) {
      listed.push(wf);
    }
    expect(listed).toHaveLength(0);
  });

  describe('a FAILED contract (not rejected) skips every descendant, however deep', () => {
    // A pipeline whose reviewer never approves FAILS once its send-backs are used up.
    const failingConfig = () =>
      testConfig({
        agentsFile: agentsFile(`agents:
  - { id: doer, description: d, capabilities: { domains: [data, research, general], roles: [researcher, analyzer, writer] }, endpoint: { kind: builtin, name: report }, clearance: confidential }
  - { id: judge, description: j, capabilities: { domains: [data, research, general], roles: [reviewer] }, endpoint: { kind: builtin, name: stern-reviewer }, clearance: confidential }
`),
      });
    const failing = { ...loadContract(repoFile('examples/contracts/research-pipeline.yaml')), id: 'parent' };
    const plain = (id: string, dependsOn: string[] = []) => ({
      id,
      title: `Step ${id}`,
      objective: 'Compute the analytics metrics for the dashboard.',
      dependsOn,
    });
    const statuses = (state: PlanState) =>
      Object.fromEntries(state.nodes.map((n) => [n.id, `${n.status}${n.reason ? `: ${n.reason}` : ''}`]));

    /** The plan's state once it completed; fails, saying where it stands, if it never does. */
    async function completed(workflowId: string): Promise<PlanState> {
      let last: PlanState | undefined;
      try {
        await expect
          .poll(
            async () => {
              const s = await arbiter.status(workflowId);
              if (isPlanState(s)) last = s;
              return s.status;
            },
            { timeout: 90_000, interval: 500 },
          )
          .toBe('completed');
      } catch (err) {
        throw new Error(`plan did not complete: ${JSON.stringify(last && statuses(last))}`, { cause: err });
      }
      return last!;
    }

    async function expectNotStarted(planId: string, ids: string[]): Promise<void> {
      for (const id of ids) {
        await expect(client.workflow.getHandle(`plan/${planId}/${id}`).describe()).rejects.toThrow(
          WorkflowNotFoundError,
        );
      }
    }

    it('children, grandchildren and a node with one good and one broken prerequisite', async () => {
      const config = failingConfig();
      const plan = Plan.parse({
        id: unique('failed-parent'),
        title: 'A plan whose first step fails',
        contracts: [
          failing,
          plain('child', ['parent']),
          plain('grandchild', ['child']),
          plain('great-grandchild', ['grandchild']),
          plain('independent'),
          plain('mixed', ['independent', 'child']),
        ],
      });
      const state = await withWorker(config, async () => {
        const a = await Arbiter.connect(config);
        try {
          await a.submitPlan(plan);
          return await completed(`plan/${plan.id}`);
        } finally {
          await a.close();
        }
      });
      expect(statuses(state)).toEqual({
        parent: 'failed: stage review: the reviewer rejected the work 3 times',
        child: 'skipped: DEPENDENCY_FAILED: parent failed',
        grandchild: 'skipped: DEPENDENCY_FAILED: child skipped',
        'great-grandchild': 'skipped: DEPENDENCY_FAILED: grandchild skipped',
        independent: 'succeeded',
        mixed: 'skipped: DEPENDENCY_FAILED: child skipped',
      });
      await expectNotStarted(plan.id, ['child', 'grandchild', 'great-grandchild', 'mixed']);
    });

    it('whatever order the plan lists them in, however long the failed contract took', async () => {
      // The first step's only agent always fails, so a person is asked, and refuses: FAILED.
      const config = testConfig({
        agentsFile: agentsFile(`agents:
  - { id: broken, description: b, capabilities: { domains: [data, general] }, endpoint: { kind: builtin, name: failing } }
`),
      });
      // Descendants listed before their prerequisites, and nothing else in flight to wake the plan.
      const plan = Plan.parse({
        id: unique('failed-reversed'),
        title: 'A plan listed bottom-up',
        contracts: [plain('grandchild', ['child']), plain('child', ['parent']), plain('parent')],
      });
      const workflowId = `plan/${plan.id}`;
      const state = await withWorker(config, async () => {
        const a = await Arbiter.connect(config);
        try {
          await a.submitPlan(plan);
          await expect
            .poll(async () => (await a.contractStatus(`${workflowId}/parent`)).status, { timeout: 60_000 })
            .toBe('awaiting-review');
          // The answer comes a while after the plan last reported progress (a person takes time).
          await expect
            .poll(
              async () => {
                const at = (
                  (await client.workflow.getHandle(workflowId).describe()).memo?.arbiterProgress as
                    PlanState['progress'] | undefined
                )?.at;
                return at !== undefined && Date.now() - Date.parse(at) > 3_000;
              },
              { timeout: 60_000, interval: 250 },
            )
            .toBe(true);
          await a.review(`${workflowId}/parent`, {
            decision: 'reject',
            reviewer: 'bob',
            reason: 'agent is down',
          });
          return await completed(workflowId);
        } finally {
          await a.close();
        }
      });
      expect(statuses(state)).toEqual({
        grandchild: 'skipped: DEPENDENCY_FAILED: child skipped',
        child: 'skipped: DEPENDENCY_FAILED: parent failed',
        parent: 'failed: every permitted agent failed; escalation rejected by bob: agent is down',
      });
      await expectNotStarted(plan.id, ['child', 'grandchild']);
    });
  });

  it('keeps at most maxParallel contracts in flight', async () => {
    const plan = loadPlan(repoFile('examples/plans/audits-parallel.yaml'));
    plan.id = unique('parallel');
    const state = await withWorker(config, () => runPlan(plan));
    expect(state.nodes.every((n) => n.status === 'succeeded')).toBe(true);
    const history = await client.workflow.getHandle(`plan/${plan.id}`).fetchHistory();
    let inFlight = 0;
    let peak = 0;
    for (const e of history.events ?? []) {
      if (e.startChildWorkflowExecutionInitiatedEventAttributes) inFlight += 1;
      if (e.childWorkflowExecutionCompletedEventAttributes) inFlight -= 1;
      peak = Math.max(peak, inFlight);
    }
    expect(peak).toBe(2);
  });

  it('runs a sequential plan one contract at a time', async () => {
    const plan = loadPlan(repoFile('examples/plans/launch-sequential.yaml'));
    plan.id = unique('seq');
    const state = await withWorker(config, () => runPlan(plan));
    expect(state.nodes.map((n) => n.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const history = await client.workflow.getHandle(`plan/${plan.id}`).fetchHistory();
    const kinds = (history.events ?? [])
      .map((e) =>
        e.startChildWorkflowExecutionInitiatedEventAttributes
          ? 'start'
          : e.childWorkflowExecutionCompletedEventAttributes
            ? 'done'
            : undefined,
      )
      .filter(Boolean);
    expect(kinds).toEqual(['start', 'done', 'start', 'done', 'start', 'done']);
  });

  it('continues as new past its history budget, keeping every node and the outputs still needed', async () => {
    const ids = ['s1', 's2', 's3', 's4', 's5', 's6'];
    const plan = Plan.parse({
      id: unique('rollover'),
      title: 'A chain that outgrows a tiny history budget',
      contracts: ids.map((id, i) => ({
        id,
        title: `Step ${id}`,
        objective: 'Compute the analytics metrics for the dashboard.',
        dependsOn: i > 0 ? [ids[i - 1]] : [],
      })),
    });
    const workflowId = `plan/${plan.id}`;
    const state = await withWorker(config, () =>
      client.workflow.execute<typeof planWorkflow>('planWorkflow', {
        taskQueue: config.taskQueue,
        workflowId,
        args: [{ plan, rollOverAfterEvents: 25 }],
      }),
    );
    expect(state.nodes.map((n) => n.status)).toEqual(ids.map(() => 'succeeded'));
    expect(state.runs).toBeGreaterThan(1);
    const runs = [];
    for await (const wf of client.workflow.list({ query: `WorkflowId = "${workflowId}"` }))
      runs.push(wf.status.name);
    expect(runs.filter((r) => r === 'CONTINUED_AS_NEW').length).toBe(state.runs - 1);
    // The last step still received its prerequisite's output across the roll-overs.
    const last = (await client.workflow.getHandle(`plan/${plan.id}/s6`).result()) as ContractState;
    expect(last.output).toMatchObject({
      inputs: { s5: { summary: expect.stringContaining('Step s5') as unknown } },
    });
  });

  it('cancels a plan and its running contracts, recording who and why', async () => {
    const plan = Plan.parse({
      id: unique('cancel'),
      title: 'Plan to cancel',
      contracts: [
        {
          id: 'needs-review',
          title: 'Dashboard',
          objective: 'Design the analytics dashboard.',
          review: 'always',
        },
        {
          id: 'after',
          title: 'After',
          objective: 'Report the analytics metrics.',
          dependsOn: ['needs-review'],
        },
      ],
    });
    await withWorker(config, async () => {
      const { workflowId } = await arbiter.submitPlan(plan);
      const child = `plan/${plan.id}/needs-review`;
      await expect
        .poll(async () => (await arbiter.contractStatus(child).catch(() => undefined))?.status, {
          timeout: 20_000,
        })
        .toBe('awaiting-review');
      await arbiter.cancel(workflowId, 'scope changed', 'carol');
      const state = (await arbiter.result(workflowId)) as PlanState;
      expect(state.status).toBe('cancelled');
      expect(state.cancelReason).toBe('cancelled by carol: scope changed');
      const by = Object.fromEntries(state.nodes.map((n) => [n.id, n.status]));
      expect(by).toEqual({ 'needs-review': 'cancelled', after: 'cancelled' });
      const contract = await arbiter.contractResult(child);
      expect(contract.outcome).toBe('CANCELLED');
      // The child's own trail names who cancelled its plan and why.
      expect(contract.trail.filter((e) => e.step === 'cancel').map((e) => e.summary)).toEqual([
        'cancelled by carol: scope changed',
      ]);
      const { status } = await client.workflow.getHandle(workflowId).describe();
      expect(status.name).toBe('CANCELLED');
    });
  });

  it('shows contracts waiting for a person, and tells them when the plan is cancelled without a reason', async () => {
    const plan = Plan.parse({
      id: unique('ui-cancel'),
      title: 'Plan cancelled from the Web UI',
      contracts: [
        { id: 'one', title: 'One', objective: 'Design the analytics dashboard.', review: 'always' },
        { id: 'two', title: 'Two', objective: 'Report the analytics metrics.', review: 'always' },
      ],
    });
    const workflowId = `plan/${plan.id}`;
    await withWorker(config, async () => {
      await arbiter.submitPlan(plan);
      await expect
        .poll(
          async () => {
            const s = await arbiter.status(workflowId).catch(() => undefined);
            return s && isPlanState(s) ? s.nodes.map((n) => n.status) : undefined;
          },
          { timeout: 30_000, interval: 300 },
        )
        .toEqual(['awaiting-review', 'awaiting-review']);
      // Cancelled the way the Web UI does it: no reason signal first.
      await client.workflow.getHandle(workflowId).cancel();
      const state = (await arbiter.result(workflowId)) as PlanState;
      expect(state.nodes.map((n) => n.reason)).toEqual([
        `cancelled by plan ${plan.id}: the plan was cancelled`,
        `cancelled by plan ${plan.id}: the plan was cancelled`,
      ]);
      const child = await arbiter.contractResult(`${workflowId}/two`);
      expect(child.trail.filter((e) => e.step === 'cancel').map((e) => e.summary)).toEqual([
        `cancelled by plan ${plan.id}: the plan was cancelled`,
      ]);
    });
  });

  it('shows the progress counts of a running plan when no worker answers its query', async () => {
    const plan = Plan.parse({
      id: unique('progress'),
      title: 'Plan whose worker stops',
      contracts: [
        { id: 'done', title: 'Done', objective: 'Report the analytics metrics.' },
        { id: 'waits', title: 'Waits', objective: 'Design the analytics dashboard.', review: 'always' },
      ],
    });
    const workflowId = `plan/${plan.id}`;
    await withWorker(config, async () => {
      await arbiter.submitPlan(plan);
      await expect
        .poll(
          async () => {
            const d = await client.workflow.getHandle(workflowId).describe();
            return (d.memo?.arbiterProgress as PlanState['progress'])?.counts;
          },
          { timeout: 30_000, interval: 300 },
        )
        .toEqual({ succeeded: 1, running: 1 });
    });
    // The worker is gone: the plan cannot answer, but status still shows where it stands.
    const state = await arbiter.status(workflowId);
    if (!isPlanState(state)) throw new Error('expected a plan state');
    expect(state).toMatchObject({
      status: 'running',
      title: 'Plan whose worker stops',
      nodes: [],
      progress: { counts: { succeeded: 1, running: 1 }, total: 2 },
    });
    await client.workflow.getHandle(workflowId).terminate('test done');
  });
});
