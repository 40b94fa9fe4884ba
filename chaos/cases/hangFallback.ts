// An agent that hangs: its call times out (agents.yaml `timeout: 5s`), Temporal retries it with the
// same idempotency key, and once retries are exhausted the fallback agent does the work.
import assert from 'node:assert/strict';
import {
  agentEntry,
  agentsYaml,
  connectArbiter,
  connectClient,
  dataContract,
  distinct,
  reportSchema,
  seconds,
  startHttpAgent,
  startServingWorker,
  unique,
  writeAgents,
  type CaseReport,
  type ChaosEnv,
} from './harness.js';

export async function hangingAgentFallsBack(env: ChaosEnv): Promise<CaseReport> {
  const taskQueue = unique('chaos-hang');
  const agent = await startHttpAgent(() => 'hold');
  // The hanging agent is the cheaper one, so selection puts it first and `steady` second.
  const agentsFile = writeAgents(
    agentsYaml(
      // Each attempt waits 5 s, long after its request has reached the agent, however busy the machine.
      agentEntry('hanger', `{ kind: http, url: '${agent.url}' }`, { timeout: '5s' }),
      agentEntry('steady', '{ kind: builtin, name: report }', { pricing: '{ perCallUsd: 0.01 }' }),
    ),
  );
  const { client, connection } = await connectClient(env);
  const arbiter = await connectArbiter(env, taskQueue);
  try {
    const w = await startServingWorker(env, client, { taskQueue, agentsFile });
    const c = dataContract(unique('hang').slice(0, 60), { outputSchema: reportSchema });
    const t0 = Date.now();
    const { workflowId } = await arbiter.submitContract(c);
    const state = await arbiter.contractResult(workflowId);
    const took = Date.now() - t0;
    await w.stop();
    const keys = agent.requests.map((r) => r.idempotencyKey);
    env.log(
      `hanger got ${keys.length} calls (keys ${distinct(keys).join(', ')}); attempts ${JSON.stringify(
        state.attempts.map((a) => [a.agentId, a.ok, a.errorCategory ?? 'ok']),
      )}`,
    );
    assert.equal(state.outcome, 'SUCCEEDED', `outcome ${state.outcome}: ${state.reason ?? ''}`);
    assert.deepEqual(state.decision?.fallbacks, ['steady'], 'steady was chosen as the fallback up front');
    assert.deepEqual(
      state.attempts.map((a) => [a.agentId, a.ok, a.errorCategory]),
      [
        ['hanger', false, 'timeout'],
        ['steady', true, undefined],
      ],
    );
    assert.equal(state.decision?.agentId, 'steady');
    assert.equal(keys.length, 3, 'the hanging call was tried 3 times (the execute retry policy)');
    assert.equal(distinct(keys).length, 1, 'every retry carried the same idempotency key');
    assert.ok(
      state.trail.some((e) => e.step === 'execute' && /hanger failed \(timeout\)/.test(e.summary)),
      'the timeout is in the audit trail',
    );
    return {
      fault: 'agent hangs (timeout 5s)',
      result: `hanger timed out ${keys.length}× with one key, fallback steady ${state.outcome}`,
      figures: {
        'submit → completed': seconds(took),
        'calls to the hanging agent': keys.length,
        'distinct idempotency keys': distinct(keys).length,
        'final agent': state.decision?.agentId ?? '-',
      },
      contractsLost: 0,
    };
  } finally {
    await arbiter.close();
    await connection.close();
    await agent.close();
  }
}
