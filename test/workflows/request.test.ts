// A request in words → a generated plan → contracts, on the real server; and the degraded path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arbiter, isPlanState } from '../../src/client.js';
import type { Config } from '../../src/config/settings.js';
import type { PlanState } from '../../src/shared/plan.js';
import { startFakeLlm, type FakeLlm } from '../support/fakeLlm.js';
import { testConfig, withWorker } from '../support/temporal.js';

let config: Config;
let arbiter: Arbiter;
beforeAll(async () => {
  config = testConfig();
  arbiter = await Arbiter.connect(config);
});
afterAll(async () => {
  await arbiter.close();
  delete process.env.OPENAI_BASE_URL;
});

const item = (title: string, objective: string) => ({
  title,
  objective,
  acceptanceCriteria: [`${title} is done`],
});

async function withLlm<T>(llm: FakeLlm, fn: () => Promise<T>): Promise<T> {
  process.env.OPENAI_BASE_URL = llm.baseURL;
  try {
    return await withWorker(config, fn);
  } finally {
    await llm.close();
  }
}

describe('request workflow', () => {
  it('generates the plan in an activity, then runs it as plan/<id> with its children', async () => {
    const llm = await startFakeLlm('script', [
      JSON.stringify({
        title: 'Analytics platform',
        first: item('Metrics model', 'Define the analytics metrics and dashboard data model.'),
        next: [
          {
            ...item('Ingestion API', 'Design the backend API that stores posts in the database.'),
            buildsOnPrevious: [1],
          },
          {
            ...item('Dashboard', 'Design the dashboard that shows engagement metrics.'),
            buildsOnPrevious: [2],
          },
        ],
      }),
    ]);
    const id = `gen-${Date.now().toString(36)}`;
    const state = await withLlm(llm, async () => {
      const { workflowId, started } = await arbiter.submitRequest('Build a social media analytics platform', {
        id,
      });
      expect({ workflowId, started }).toEqual({ workflowId: `plan/${id}`, started: true });
      return (await arbiter.result(workflowId)) as PlanState;
    });
    expect(isPlanState(state)).toBe(true);
    expect(state.generation).toMatchObject({ method: 'llm', attempts: 1 });
    expect(state.nodes.map((n) => [n.id, n.status])).toEqual([
      ['metrics-model', 'succeeded'],
      ['ingestion-api', 'succeeded'],
      ['dashboard', 'succeeded'],
    ]);
    expect(state.nodes[1]?.workflowId).toBe(`plan/${id}/ingestion-api`);
  });

  it('retries a failing model through Temporal, then degrades to one contract for a person, with the reason', async () => {
    const llm = await startFakeLlm('server-error');
    const id = `down-${Date.now().toString(36)}`;
    await withLlm(llm, async () => {
      const { workflowId } = await arbiter.submitRequest('Plan the quarterly revenue forecast', { id });
      await expect
        .poll(
          async () => (await arbiter.status(workflowId).catch(() => undefined)) as PlanState | undefined,
          {
            timeout: 30_000,
          },
        )
        .toMatchObject({ status: 'running', generation: { method: 'fallback' } });
      const plan = (await arbiter.status(workflowId)) as PlanState;
      expect(plan.generation?.reason).toMatch(/^server-error: the model did not answer/);
      // Temporal's retry policy, not the SDK, retried: one request per activity attempt.
      expect(llm.requests).toBe(3);
      expect(plan.nodes).toHaveLength(1);
      const child = plan.nodes[0]!.workflowId;
      await expect
        .poll(async () => (await arbiter.contractStatus(child).catch(() => undefined))?.status, {
          timeout: 30_000,
        })
        .toBe('awaiting-review');
      expect((await arbiter.contractStatus(child)).decision?.policyIds).toContain('review-requested');
      await arbiter.review(child, { decision: 'reject', reviewer: 'alice', reason: 'not now' });
      const done = (await arbiter.result(workflowId)) as PlanState;
      expect(done.nodes[0]).toMatchObject({ status: 'rejected' });
    });
  });

  it('refuses an empty request before anything starts', async () => {
    await expect(arbiter.submitRequest('   ')).rejects.toThrow(/request is empty/);
  });
});
