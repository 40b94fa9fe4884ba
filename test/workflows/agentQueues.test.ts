// Agent placement on a real Temporal dev server: an agent with `limits` runs on its own task queue
// (bounded slots, server-side rate limit, backlog visible), builtins run in-process as local
// activities, and cancelling a contract reaches a running http agent call. Plus the agents.yaml
// `limits` validation.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowFailedError, type Client, type Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { burstOnLimitedAgent, startCountingAgent } from '../../chaos/cases/agentLimits.js';
import { ensureRuntime } from '../../chaos/cases/harness.js';
import { createAgentPools, runWithPools } from '../../src/runtime/agentPools.js';
import { connectWorker, createWorker } from '../../src/worker.js';
import type { Config } from '../../src/config/settings.js';
import { placementOf, type Agent } from '../../src/shared/agent.js';
import { Contract } from '../../src/shared/contract.js';
import type { ContractState } from '../../src/shared/decision.js';
import { loadAgents } from '../../src/config/files.js';
import { stateQuery } from '../../src/shared/messages.js';
import type { contractWorkflow } from '../../src/workflows/index.js';
import { arbiterFailure } from '../support/failure.js';
import { agentsFile, clientFor, testConfig } from '../support/temporal.js';

const contract = (id: string) =>
  Contract.parse({
    id,
    title: 'Engagement metrics dashboard',
    objective: 'Design the analytics dashboard and its metrics for engagement data.',
    acceptanceCriteria: ['lists the metrics'],
  });

const entry = (id: string, endpoint: string, extra = '') => `
  - id: ${id}
    description: test agent ${id}
    capabilities: { domains: [data, general] }
    endpoint: ${endpoint}
    ${extra}`;

let connection: Connection;
let client: Client;

beforeAll(async () => {
  ({ client, connection } = await clientFor(testConfig()));
});
afterAll(async () => {
  await connection.close();
});

/** Runs `fn` while the worker and its agent pools (as `arbiter worker` runs them) serve `config`. */
async function withWorkerAndPools<T>(config: Config, fn: () => Promise<T>): Promise<T> {
  ensureRuntime();
  const workerConnection = await connectWorker(config);
  try {
    const worker = await createWorker(
      { config, workflowBundle: { codePath: inject('workflowBundlePath') } },
      workerConnection,
    );
    const pools = await createAgentPools({ config }, workerConnection);
    const running = runWithPools(worker, pools);
    try {
      return await fn();
    } finally {
      worker.shutdown();
      await running;
    }
  } finally {
    await workerConnection.close();
  }
}

const uniqueId = (name: string) =>
  `${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

describe('agent placement on a real server', () => {
  it('a burst at an agent limited to 2 at once never gives it more than 2, queues visibly and loses nothing', async () => {
    const report = await burstOnLimitedAgent(
      {
        address: inject('temporalAddress'),
        log: () => undefined,
        workflowBundle: { codePath: inject('workflowBundlePath') },
      },
      { contracts: 12, maxConcurrent: 2, perSecond: 20 },
    );
    expect(report.figures['max concurrent requests at the agent']).toBe(2);
    // The 10 calls beyond the agent's 2 slots were seen waiting in its queue through queueDepth().
    expect(report.figures['peak backlog in the agent queue']).toBeGreaterThanOrEqual(10);
    expect(report.contractsLost).toBe(0);
    expect(report.result).toMatch(/^12\/12 SUCCEEDED/);
  }, 180_000);

  it('runs a builtin agent in-process: its history records a local-activity marker, not an activity task', async () => {
    const config = testConfig({
      agentsFile: agentsFile(`agents:${entry('analyst', '{ kind: builtin, name: report }')}`),
    });
    const workflowId = `contract/${uniqueId('in-process')}`;
    const state = await withWorkerAndPools(config, () =>
      client.workflow.execute<typeof contractWorkflow>('contractWorkflow', {
        taskQueue: config.taskQueue,
        workflowId,
        args: [{ contract: contract('in-process') }],
      }),
    );
    expect(state.outcome).toBe('SUCCEEDED');
    expect(state.attempts).toEqual([expect.objectContaining({ agentId: 'analyst', ok: true })]);
    const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const scheduled = events
      .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
      .filter((n): n is string => n !== undefined);
    expect(scheduled).not.toContain('executeAgent');
    const localActivities = events
      .map((e) => e.markerRecordedEventAttributes)
      .filter((m) => m?.markerName === 'core_local_activity')
      .map((m) => Buffer.from(m?.details?.data?.payloads?.[0]?.data ?? new Uint8Array()).toString());
    expect(localActivities.some((d) => d.includes('"executeAgent"'))).toBe(true);
  }, 60_000);

  it('cancelling a contract during a long http agent call closes the agent request and ends CANCELLED', async () => {
    const agent = await startCountingAgent({ hold: true });
    try {
      const config = testConfig({
        agentsFile: agentsFile(
          `agents:${entry('slow', `{ kind: http, url: '${agent.url}' }`, 'timeout: 120s')}`,
        ),
      });
      const workflowId = `contract/${uniqueId('cancel')}`;
      await withWorkerAndPools(config, async () => {
        const handle = await client.workflow.start<typeof contractWorkflow>('contractWorkflow', {
          taskQueue: config.taskQueue,
          workflowId,
          args: [{ contract: contract('cancel') }],
        });
        await agent.received(1);
        await handle.cancel();
        const ended = await handle.result().catch((err: unknown) => err);
        expect(ended).toBeInstanceOf(WorkflowFailedError);
        expect((await handle.describe()).status.name).toBe('CANCELLED');
        const state: ContractState = await handle.query(stateQuery);
        expect(state.outcome).toBe('CANCELLED');
        // The call learns of the cancellation from its next heartbeat and aborts its request; the
        // agent's 120 s timeout is far away, so a closed connection here is the cancellation.
        while (!agent.requests[0]?.aborted) await sleep(100);
      });
      expect(agent.requests).toHaveLength(1);
      expect(agent.requests[0]?.aborted).toBe(true);
    } finally {
      await agent.close();
    }
  }, 90_000);
});

describe('agents.yaml limits', () => {
  const write = (text: string) => {
    const file = join(mkdtempSync(join(tmpdir(), 'arbiter-limits-')), 'agents.yaml');
    writeFileSync(file, text);
    return file;
  };
  const withLimits = (limits: string) =>
    write(
      `agents:${entry('remote', "{ kind: http, url: 'http://127.0.0.1:9/agent' }", `limits: ${limits}`)}\n`,
    );

  it('accepts maxConcurrent and perSecond, together or alone', () => {
    expect(loadAgents(withLimits('{ maxConcurrent: 2, perSecond: 20 }')).agents[0]?.limits).toEqual({
      maxConcurrent: 2,
      perSecond: 20,
    });
    expect(loadAgents(withLimits('{ perSecond: 0.5 }')).agents[0]?.limits).toEqual({ perSecond: 0.5 });
    expect(loadAgents(withLimits('{ maxConcurrent: 1 }')).agents[0]?.limits).toEqual({ maxConcurrent: 1 });
  });

  it.each([
    ['{ maxConcurrent: 0 }', 'agents[0].limits.maxConcurrent', 'at least 1'],
    ['{ maxConcurrent: 1.5 }', 'agents[0].limits.maxConcurrent', 'whole number'],
    ['{ maxConcurrent: two }', 'agents[0].limits.maxConcurrent', 'whole number'],
    ['{ perSecond: 0 }', 'agents[0].limits.perSecond', 'greater than 0'],
    ['{ perSecond: -3 }', 'agents[0].limits.perSecond', 'greater than 0'],
    ['{ maxConcurent: 2 }', 'agents[0].limits', 'maxConcurent'],
    ['{}', 'agents[0].limits', 'maxConcurrent, perSecond or both'],
    ['5', 'agents[0].limits', 'object'],
  ])('refuses limits %s with exit 2, naming the file and %s', (limits, field, problem) => {
    const file = withLimits(limits);
    const err = arbiterFailure(() => loadAgents(file));
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(file);
    const text = err.toUserText();
    expect(text).toContain(`${field}: `);
    expect(text).toContain(problem);
  });

  it('places a limited agent on its own queue, a builtin in-process and the rest on the main queue', () => {
    const agents = loadAgents(
      write(
        `agents:${entry('limited', "{ kind: http, url: 'http://127.0.0.1:9/a' }", 'limits: { maxConcurrent: 2 }')}` +
          `${entry('builtin', '{ kind: builtin, name: report }')}` +
          `${entry('remote', "{ kind: http, url: 'http://127.0.0.1:9/b' }")}\n`,
      ),
    ).agents;
    const placed = Object.fromEntries(agents.map((a: Agent) => [a.id, placementOf(a, 'arbiter')]));
    expect(placed).toEqual({
      limited: { queue: 'arbiter/agent-limited' },
      builtin: { inProcess: true },
      remote: {},
    });
  });
});
