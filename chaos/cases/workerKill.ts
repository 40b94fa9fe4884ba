// kill -9 a worker process (a) while an http agent call is in flight and (b) right after the agent
// answered, between steps; then start another worker. The contract must complete, the agent must
// see the same idempotency key on the retry, and the output must be recorded once.
import assert from 'node:assert/strict';
import type { ContractState } from '../../src/shared/decision.js';
import {
  activityStarts,
  agentEntry,
  agentsYaml,
  connectArbiter,
  connectClient,
  dataContract,
  distinct,
  goodAnswer,
  reportSchema,
  seconds,
  startHttpAgent,
  startPollingWorker,
  startServingWorker,
  unique,
  writeAgents,
  type CaseReport,
  type ChaosEnv,
} from './harness.js';

/** Asserts what a user would check after a crash: one success, one recorded output, one key. */
function assertCompletedOnce(state: ContractState, keys: string[]): void {
  assert.equal(state.outcome, 'SUCCEEDED', `outcome ${state.outcome}: ${state.reason ?? ''}`);
  assert.deepEqual(
    state.attempts.map((a) => [a.agentId, a.ok]),
    [['remote', true]],
    'exactly one recorded attempt, and it succeeded',
  );
  assert.equal(state.trail.filter((e) => e.step === 'execute').length, 1, 'the output is recorded once');
  assert.equal(state.trail.filter((e) => e.step === 'outcome').length, 1, 'one outcome in the trail');
  assert.equal(
    distinct(keys).length,
    1,
    `one idempotency key for the step, saw ${distinct(keys).join(', ')}`,
  );
  assert.equal(state.usage.costUsd, 0.001, 'the cost of the one answer is counted once');
}

export async function killWorkerDuringAgentCall(env: ChaosEnv): Promise<CaseReport> {
  const taskQueue = unique('chaos-kill-mid');
  // The first call never answers (its worker dies); every later call answers at once.
  const agent = await startHttpAgent((req) => (req.n === 1 ? 'hold' : goodAnswer(req)));
  const agentsFile = writeAgents(
    // Long enough that the retried call, answered at once, never times out on a busy machine; it is
    // also the heartbeat timeout after which a dead worker's call is retried.
    agentsYaml(agentEntry('remote', `{ kind: http, url: '${agent.url}' }`, { timeout: '10s' })),
  );
  const { client, connection } = await connectClient(env);
  const arbiter = await connectArbiter(env, taskQueue);
  try {
    const a = await startPollingWorker(env, client, { taskQueue, agentsFile });
    const c = dataContract(unique('kill-mid').slice(0, 60), { outputSchema: reportSchema });
    const { workflowId } = await arbiter.submitContract(c);
    const first = await agent.received(1);
    env.log(`agent call 1 in flight (key ${first.idempotencyKey}); kill -9 worker ${a.pid}`);
    const killedAt = Date.now();
    a.kill('SIGKILL');
    const gone = await a.exited;
    assert.equal(gone.signal, 'SIGKILL');
    // The replacement is not what the fault hits: in-process when the env has a bundle.
    const b = await startServingWorker(env, client, { taskQueue, agentsFile });
    const state = await arbiter.contractResult(workflowId);
    const recovered = Date.now() - killedAt;
    await b.stop();
    const keys = agent.requests.map((r) => r.idempotencyKey);
    env.log(
      `agent saw ${keys.length} calls with keys ${distinct(keys).join(', ')}; outcome ${state.outcome}`,
    );
    assertCompletedOnce(state, keys);
    assert.ok(keys.length >= 2, 'the call was retried after the crash');
    const starts = await activityStarts(client, workflowId);
    return {
      fault: 'kill -9 worker during an agent call',
      result: `${state.outcome} on a second worker; retry reused key ${first.idempotencyKey}`,
      figures: {
        'recovery (kill → completed)': seconds(recovered),
        'agent calls': keys.length,
        'distinct idempotency keys': distinct(keys).length,
        'executeAgent attempts': starts.executeAgent ?? 0,
        'recorded attempts': state.attempts.length,
      },
      contractsLost: 0,
    };
  } finally {
    await arbiter.close();
    await connection.close();
    await agent.close();
  }
}

export async function killWorkerBetweenSteps(env: ChaosEnv): Promise<CaseReport> {
  const taskQueue = unique('chaos-kill-between');
  const agent = await startHttpAgent((req) => goodAnswer(req));
  const agentsFile = writeAgents(
    // Long enough that the retried call, answered at once, never times out on a busy machine; it is
    // also the heartbeat timeout after which a dead worker's call is retried.
    agentsYaml(agentEntry('remote', `{ kind: http, url: '${agent.url}' }`, { timeout: '10s' })),
  );
  const { client, connection } = await connectClient(env);
  const arbiter = await connectArbiter(env, taskQueue);
  try {
    const a = await startPollingWorker(env, client, { taskQueue, agentsFile });
    let killedAt = 0;
    // The moment the agent's answer is on the wire, the worker dies: the execute step has done its
    // work, and the steps after it (record, validate, audit) have not run yet.
    agent.onAnswered = (req) => {
      if (req.n !== 1) return;
      killedAt = Date.now();
      a.kill('SIGKILL');
    };
    const c = dataContract(unique('kill-between').slice(0, 60), { outputSchema: reportSchema });
    const { workflowId } = await arbiter.submitContract(c);
    await agent.received(1);
    const gone = await a.exited;
    assert.equal(gone.signal, 'SIGKILL');
    env.log(`worker ${a.pid} killed right after the agent answered call 1`);
    // The replacement is not what the fault hits: in-process when the env has a bundle.
    const b = await startServingWorker(env, client, { taskQueue, agentsFile });
    const state = await arbiter.contractResult(workflowId);
    const recovered = Date.now() - killedAt;
    await b.stop();
    const keys = agent.requests.map((r) => r.idempotencyKey);
    env.log(
      `agent saw ${keys.length} calls with keys ${distinct(keys).join(', ')}; outcome ${state.outcome}`,
    );
    assertCompletedOnce(state, keys);
    const starts = await activityStarts(client, workflowId);
    return {
      fault: 'kill -9 worker between steps (agent answered, result not yet recorded)',
      result: `${state.outcome}; ${keys.length === 1 ? 'the answer had reached Temporal, no repeat call' : 'repeat call with the same key'}`,
      figures: {
        'recovery (kill → completed)': seconds(recovered),
        'agent calls': keys.length,
        'distinct idempotency keys': distinct(keys).length,
        'executeAgent attempts': starts.executeAgent ?? 0,
        'recorded attempts': state.attempts.length,
      },
      contractsLost: 0,
    };
  } finally {
    await arbiter.close();
    await connection.close();
    await agent.close();
  }
}
