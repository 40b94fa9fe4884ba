// Conditional plans on a real Temporal dev server: policy routes each contract to parallel,
// sequential or human review, the plan records it, and `status` shows who waits for a person.
import type { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arbiter, isPlanState } from '../../src/client.js';
import type { Config } from '../../src/config/settings.js';
import { loadPlan } from '../../src/config/files.js';
import type { PlanNode, PlanState } from '../../src/shared/plan.js';
import { clientFor, repoFile, testConfig, withWorker } from '../support/temporal.js';

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

async function planNodes(workflowId: string): Promise<Record<string, PlanNode>> {
  const state = await arbiter.status(workflowId);
  if (!isPlanState(state)) throw new Error('expected a plan state');
  return Object.fromEntries(state.nodes.map((n) => [n.id, n]));
}

describe('conditional plan', () => {
  it('routes each contract by policy: parallel, sequential (never overlapping) and human review', async () => {
    const plan = loadPlan(repoFile('examples/plans/conditional.yaml'));
    plan.id = unique('conditional');
    const workflowId = `plan/${plan.id}`;
    const migration = `${workflowId}/migration`;
    await withWorker(config, async () => {
      await arbiter.submitPlan(plan);

      // The migration waits for a person, and the plan's status says so (not just "running").
      await expect
        .poll(async () => (await planNodes(workflowId).catch(() => undefined))?.migration?.status, {
          timeout: 30_000,
          interval: 300,
        })
        .toBe('awaiting-review');
      const waiting = (await planNodes(workflowId)).migration!;
      expect(waiting.review?.why).toEqual([
        'plan-large-budget: A contract budgeted above $5 waits for a person before it starts.',
      ]);
      // Its own policies would have sent it straight to an agent: the wait is the plan's routing.
      const child = await arbiter.contractStatus(migration);
      expect(child.status).toBe('awaiting-review');
      expect(child.trail.some((e) => e.summary.startsWith('review required by the plan'))).toBe(true);

      await arbiter.review(migration, { decision: 'approve', reviewer: 'alice', reason: 'scope agreed' });
      const state = (await arbiter.result(workflowId)) as PlanState;
      expect(state.status).toBe('completed');
      const by = Object.fromEntries(state.nodes.map((n) => [n.id, n]));
      expect(Object.values(by).map((n) => n.status)).toEqual(state.nodes.map(() => 'succeeded'));

      // Every node records its routing decision: mode, policy ids, explanation, policy version.
      const modes = Object.fromEntries(state.nodes.map((n) => [n.id, n.routing?.mode]));
      expect(modes).toEqual({
        metrics: 'parallel',
        campaign: 'parallel',
        'retention-report': 'sequential',
        'churn-dashboard': 'sequential',
        migration: 'human-review',
        summary: 'parallel',
      });
      expect(by['retention-report']?.routing).toMatchObject({
        policyIds: ['plan-sequence', 'plan-budgeted-in-sequence'],
        explanation: [
          expect.stringContaining('plan-sequence:') as unknown,
          expect.stringContaining('plan-budgeted-in-sequence:') as unknown,
        ],
        policyVersion: expect.stringMatching(/^[0-9a-f]{16}$/) as unknown,
        domain: 'data',
      });
      expect(by.migration?.routing?.policyIds).toEqual(['plan-large-budget']);

      // The two sequential contracts were ready together, yet one ran only after the other closed.
      const spans = await Promise.all(
        ['retention-report', 'churn-dashboard'].map(async (id) => {
          const d = await client.workflow.getHandle(`${workflowId}/${id}`).describe();
          return { start: d.startTime.getTime(), close: d.closeTime!.getTime() };
        }),
      );
      const [first, second] = spans.sort((a, b) => a.start - b.start);
      expect(second!.start).toBeGreaterThanOrEqual(first!.close);
    });
  });

  it('cancels a conditional plan with the reason reaching every running contract', async () => {
    const plan = loadPlan(repoFile('examples/plans/conditional.yaml'));
    plan.id = unique('conditional-cancel');
    const workflowId = `plan/${plan.id}`;
    await withWorker(config, async () => {
      await arbiter.submitPlan(plan);
      await expect
        .poll(async () => (await planNodes(workflowId).catch(() => undefined))?.migration?.status, {
          timeout: 30_000,
          interval: 300,
        })
        .toBe('awaiting-review');
      await arbiter.cancel(workflowId, 'budget frozen', 'dave');
      const state = (await arbiter.result(workflowId)) as PlanState;
      expect(state.status).toBe('cancelled');
      const migration = state.nodes.find((n) => n.id === 'migration')!;
      expect(migration).toMatchObject({ status: 'cancelled', reason: 'cancelled by dave: budget frozen' });
      const child = await arbiter.contractResult(`${workflowId}/migration`);
      expect(child.outcome).toBe('CANCELLED');
      expect(child.trail.filter((e) => e.step === 'cancel').map((e) => e.summary)).toEqual([
        'cancelled by dave: budget frozen',
      ]);
    });
  });
});
