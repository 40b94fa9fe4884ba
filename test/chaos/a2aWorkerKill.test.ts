// kill -9 of the worker process while its executeAgent follows a slow A2A task: another worker
// process resumes following THE SAME remote task (its id is in the attempt's heartbeat details),
// so the agent sees one message and one task, and the contract succeeds with the output once.
import { defaultPayloadConverter } from '@temporalio/common';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  agentEntry,
  agentsYaml,
  connectArbiter,
  connectClient,
  dataContract,
  killAllStartedWorkers,
  reportSchema,
  startPollingWorker,
  unique,
  writeAgents,
  type ChaosEnv,
} from '../../chaos/cases/harness.js';
import { startA2aServer, type A2aTestServer } from '../support/a2aServer.js';

let agent: A2aTestServer | undefined;
afterEach(async () => {
  await killAllStartedWorkers();
  await agent?.close();
  agent = undefined;
});

describe('A2A agent, worker killed mid-task', () => {
  it('kill -9 while following a remote task: another worker follows the same task; one message, one task', async () => {
    const env: ChaosEnv = { address: inject('temporalAddress'), log: () => undefined };
    agent = await startA2aServer({ mode: 'slow', slowMs: 8_000 });
    const taskQueue = unique('a2a-kill');
    const agentsFile = writeAgents(
      agentsYaml(agentEntry('remote-a2a', `{ kind: a2a, card: '${agent.cardUrl}' }`, { timeout: '60s' })),
    );
    const { client, connection } = await connectClient(env);
    const arbiter = await connectArbiter(env, taskQueue);
    try {
      const a = await startPollingWorker(env, client, { taskQueue, agentsFile });
      const c = dataContract(unique('a2a-kill').slice(0, 60), { outputSchema: reportSchema });
      const { workflowId } = await arbiter.submitContract(c);
      const taskId = await agent.started(1);
      // Wait until the server has the task id in the attempt's heartbeat details, then kill.
      const deadline = Date.now() + 60_000;
      for (;;) {
        const d = await client.workflow.getHandle(workflowId).describe();
        const payload = d.raw.pendingActivities?.[0]?.heartbeatDetails?.payloads?.[0];
        const details = payload
          ? defaultPayloadConverter.fromPayload<{ taskId?: string }>(payload)
          : undefined;
        if (details?.taskId === taskId) break;
        if (Date.now() > deadline) throw new Error('no heartbeat named the remote task');
        await new Promise((r) => setTimeout(r, 200));
      }
      a.kill('SIGKILL');
      expect((await a.exited).signal).toBe('SIGKILL');
      const b = await startPollingWorker(env, client, { taskQueue, agentsFile });
      const state = await arbiter.contractResult(workflowId);
      b.kill('SIGTERM');
      await b.exited;
      expect(state.outcome).toBe('SUCCEEDED');
      expect(state.agentId).toBe('remote-a2a');
      expect(state.output).toEqual({
        summary: `done by the A2A agent: ${c.title}`,
        criteria: ['lists the metrics'],
      });
      expect(state.attempts.map((x) => [x.agentId, x.ok])).toEqual([['remote-a2a', true]]);
      expect(agent.sends).toHaveLength(1);
      expect(agent.tasksStarted).toEqual([taskId]);
      expect(agent.cancels).toHaveLength(0);
      // The second worker read the task (tasks/get) instead of sending a message.
      expect(agent.gets).toBeGreaterThanOrEqual(1);
    } finally {
      await arbiter.close();
      await connection.close();
    }
  }, 180_000);
});
