// An agent answering with output over Temporal's payload limit (a 3 MB string; the server refuses
// blobs over 2 MB). Expected: the contract is rejected with a clear error, or the output stored by
// reference: never a workflow that hangs. This case finds out what happens today.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import {
  agentEntry,
  agentsYaml,
  connectArbiter,
  connectClient,
  dataContract,
  seconds,
  startHttpAgent,
  startServingWorker,
  unique,
  writeAgents,
  type CaseReport,
  type ChaosEnv,
} from './harness.js';

const { temporal } = proto;

export const OVERSIZED_BYTES = 3 * 1024 * 1024;

/** The last few events of a history, as `type (attempt, failure)` lines. */
export async function historyTail(client: Client, workflowId: string, n = 8): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).slice(-n).map((e) => {
    const failure =
      e.activityTaskFailedEventAttributes?.failure?.message ??
      e.workflowTaskFailedEventAttributes?.failure?.message ??
      e.activityTaskTimedOutEventAttributes?.failure?.message ??
      e.workflowExecutionFailedEventAttributes?.failure?.message;
    const attempt = e.activityTaskStartedEventAttributes?.attempt;
    const type = e.eventType ? temporal.api.enums.v1.EventType[e.eventType] : '?';
    return `${type.replace('EVENT_TYPE_', '')}${attempt ? ` attempt ${attempt}` : ''}${failure ? `: ${failure.slice(0, 200)}` : ''}`;
  });
}

export async function oversizedOutput(env: ChaosEnv, waitMs = 60_000): Promise<CaseReport> {
  const taskQueue = unique('chaos-payload');
  const big = 'x'.repeat(OVERSIZED_BYTES);
  const agent = await startHttpAgent(() => ({ body: { output: { summary: big } } }));
  const agentsFile = writeAgents(
    // Sending 3 MB over loopback must never turn into a timeout on a busy machine.
    agentsYaml(agentEntry('verbose', `{ kind: http, url: '${agent.url}' }`, { timeout: '30s' })),
  );
  const { client, connection } = await connectClient(env);
  const arbiter = await connectArbiter(env, taskQueue);
  try {
    const w = await startServingWorker(env, client, { taskQueue, agentsFile });
    const c = dataContract(unique('payload').slice(0, 60));
    const t0 = Date.now();
    const { workflowId } = await arbiter.submitContract(c);
    const handle = client.workflow.getHandle(workflowId);
    // Wait for the end, or for the escalation to a person that follows when no agent delivered,
    // but never forever: a run still open and not waiting for anyone after `waitMs` is the finding.
    let status = 'RUNNING';
    while (Date.now() - t0 < waitMs) {
      status = (await handle.describe()).status.name;
      if (status !== 'RUNNING') break;
      const live = await arbiter.contractStatus(workflowId).catch(() => undefined);
      if (live?.status === 'awaiting-review') {
        env.log(`escalated to a person: ${live.review?.why.join('; ') ?? ''}; rejecting as alice`);
        await arbiter.review(workflowId, {
          decision: 'reject',
          reviewer: 'alice',
          reason: 'output too large',
        });
        status = 'ESCALATED';
        break;
      }
      await sleep(500);
    }
    const took = Date.now() - t0;
    const tail = await historyTail(client, workflowId);
    env.log(`after ${seconds(took)}: workflow ${status}; agent called ${agent.requests.length}×`);
    for (const line of tail) env.log(`  history: ${line}`);
    await w.stop();
    if (status === 'RUNNING') {
      await handle.terminate('chaos: oversized output left the workflow stuck');
      throw new Error(
        `workflow ${workflowId} still RUNNING ${seconds(took)} after a ${OVERSIZED_BYTES}-byte agent output ` +
          `(agent called ${agent.requests.length}×); last events: ${tail.join(' | ')}`,
      );
    }
    const state = await arbiter.contractResult(workflowId);
    env.log(`outcome ${state.outcome}: ${state.reason ?? ''}; attempts ${JSON.stringify(state.attempts)}`);
    for (const e of state.trail.filter((x) => x.step === 'execute')) env.log(`  trail: ${e.summary}`);
    assert.notEqual(state.outcome, 'SUCCEEDED', 'a 3 MB output cannot have been stored inline');
    const clear = state.attempts.some((a) => /size|limit|large|exceed/i.test(a.error ?? ''));
    assert.ok(clear, `a clear error naming the size limit, got: ${JSON.stringify(state.attempts)}`);
    return {
      fault: 'agent output over the payload limit (3 MB)',
      result: `${state.outcome} with a clear error`,
      figures: { 'submit → ended': seconds(took), 'agent calls': agent.requests.length },
      contractsLost: 0,
    };
  } finally {
    await arbiter.close();
    await connection.close();
    await agent.close();
  }
}
