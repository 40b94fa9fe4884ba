// SIGTERM a worker while an agent call is in flight: it must stop polling and exit 0 within its
// shutdown grace, and the contract must complete on another worker.
import assert from 'node:assert/strict';
import {
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
  unique,
  writeAgents,
  type CaseReport,
  type ChaosEnv,
} from './harness.js';

/** Far above the SDK's default shutdown grace; a safety net, not a stopwatch. */
const EXIT_WITHIN_MS = 30_000;

export async function sigtermWorker(env: ChaosEnv): Promise<CaseReport> {
  const taskQueue = unique('chaos-sigterm');
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
    const c = dataContract(unique('sigterm').slice(0, 60), { outputSchema: reportSchema });
    const { workflowId } = await arbiter.submitContract(c);
    await agent.received(1);
    const termAt = Date.now();
    env.log(`agent call 1 in flight; SIGTERM worker ${a.pid}`);
    a.kill('SIGTERM');
    const exit = await Promise.race([
      a.exited,
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`worker did not exit within ${EXIT_WITHIN_MS} ms`)),
          EXIT_WITHIN_MS,
        ),
      ),
    ]);
    env.log(
      `worker ${a.pid} exited with code ${exit.code} (signal ${exit.signal}) after ${exit.at - termAt} ms`,
    );
    assert.equal(exit.code, 0, `exit code 0 after SIGTERM, got ${exit.code}/${exit.signal}:\n${a.output()}`);
    const b = await startPollingWorker(env, client, { taskQueue, agentsFile });
    const state = await arbiter.contractResult(workflowId);
    const recovered = Date.now() - termAt;
    b.kill('SIGTERM');
    await b.exited;
    const keys = agent.requests.map((r) => r.idempotencyKey);
    env.log(`agent saw ${keys.length} calls, keys ${distinct(keys).join(', ')}; outcome ${state.outcome}`);
    assert.equal(state.outcome, 'SUCCEEDED', `outcome ${state.outcome}: ${state.reason ?? ''}`);
    assert.equal(state.attempts.filter((x) => x.ok).length, 1, 'one successful attempt recorded');
    assert.equal(distinct(keys).length, 1, 'the retry on the other worker reused the idempotency key');
    return {
      fault: 'SIGTERM worker during an agent call',
      result: `worker exited ${exit.code} in ${exit.at - termAt} ms; contract ${state.outcome} on another worker`,
      figures: {
        'exit code': exit.code ?? `signal ${exit.signal}`,
        'SIGTERM → exit': `${exit.at - termAt} ms`,
        'recovery (SIGTERM → completed)': seconds(recovered),
        'agent calls': keys.length,
        'distinct idempotency keys': distinct(keys).length,
        'first call aborted by the worker': agent.requests[0]?.aborted ? 'yes' : 'no',
      },
      contractsLost: 0,
    };
  } finally {
    await arbiter.close();
    await connection.close();
    await agent.close();
  }
}
