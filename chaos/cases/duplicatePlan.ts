// The same plan id submitted several times at once: exactly one submission starts a run, the
// others get that run back; the plan completes once.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { Arbiter } from '../../src/client.js';
import type { Plan } from '../../src/shared/contract.js';
import { Plan as PlanSchema } from '../../src/shared/contract.js';
import type { PlanState } from '../../src/shared/plan.js';
import {
  agentEntry,
  agentsYaml,
  connectArbiter,
  connectClient,
  startServingWorker,
  unique,
  writeAgents,
  type CaseReport,
  type ChaosEnv,
} from './harness.js';

export async function duplicatePlanSubmission(env: ChaosEnv, submitters = 2): Promise<CaseReport> {
  const taskQueue = unique('chaos-dup');
  const agentsFile = writeAgents(agentsYaml(agentEntry('analyst', '{ kind: builtin, name: report }')));
  const planId = unique('dup').slice(0, 60);
  const plan: Plan = PlanSchema.parse({
    id: planId,
    title: 'Dashboards',
    contracts: ['a', 'b'].map((id) => ({
      id,
      title: `Engagement metrics dashboard ${id}`,
      objective: 'Design the analytics dashboard and its metrics for engagement data.',
      ...(id === 'b' ? { dependsOn: ['a'] } : {}),
    })),
  });
  const { client, connection } = await connectClient(env);
  const arbiters: Arbiter[] = await Promise.all(
    Array.from({ length: submitters }, () => connectArbiter(env, taskQueue)),
  );
  try {
    const w = await startServingWorker(env, client, { taskQueue, agentsFile });
    const answers = await Promise.all(arbiters.map((a) => a.submitPlan(plan)));
    const starts = answers.filter((a) => a.started).length;
    env.log(
      `${submitters} concurrent submissions of plan ${planId}: started=${answers.map((a) => a.started).join(',')}`,
    );
    assert.equal(starts, 1, 'exactly one submission started a run');
    assert.ok(answers.every((a) => a.workflowId === `plan/${planId}`));
    const state = (await arbiters[0]!.result(planId)) as PlanState;
    await w.stop();
    assert.equal(state.status, 'completed');
    assert.deepEqual(
      state.nodes.map((n) => [n.id, n.status]),
      [
        ['a', 'succeeded'],
        ['b', 'succeeded'],
      ],
    );
    // The run that completed is the id's latest; every run of the id (visibility lags, so the
    // listing is read until it shows that completed run) must be that one.
    const { runId } = await client.workflow.getHandle(`plan/${planId}`).describe();
    const runs = await listedRunsOnceVisible(client, `plan/${planId}`, runId);
    assert.deepEqual(runs, [runId], `one run of plan/${planId}, saw ${runs.length}`);
    return {
      fault: `same plan id submitted ${submitters}× concurrently`,
      result: `started:true exactly once; plan ${state.status}, ${state.nodes.length} contracts succeeded once`,
      figures: {
        submissions: submitters,
        'started: true': starts,
        'runs listed': runs.length,
      },
      contractsLost: 0,
    };
  } finally {
    await Promise.all(arbiters.map((a) => a.close()));
    await connection.close();
  }
}

/** The run ids listed for a workflow id, read until the listing shows the run `expected`. */
async function listedRunsOnceVisible(
  client: Client,
  workflowId: string,
  expected: string,
): Promise<string[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const runs: string[] = [];
    for await (const wf of client.workflow.list({ query: `WorkflowId = "${workflowId}"` }))
      runs.push(wf.runId);
    if (runs.includes(expected) || Date.now() > deadline) return runs;
    await sleep(250);
  }
}
