// A2A agents as governed workers, on the real Temporal dev server with a real A2A server (the
// official SDK's server side on 127.0.0.1): a contract routed by policy to an A2A agent, followed
// through a slow task with heartbeats naming the remote task; a failing A2A agent replaced by the
// fallback with the failure in its ledger; a cancelled contract cancelling the remote task; and
// the activity's contract with the workflow for a task that asks a question (pending, reply).
import { defaultPayloadConverter } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { Client, Connection } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Arbiter } from '../../src/client.js';
import { readSnapshot } from '../../src/governance/ledgers.js';
import { createActivities } from '../../src/activities/index.js';
import { loadDeps } from '../../src/activities/deps.js';
import type { ExecuteResult } from '../../src/activities/execute.js';
import type { Config } from '../../src/config/settings.js';
import { Contract, type Contract as ContractT } from '../../src/shared/contract.js';
import type { contractWorkflow } from '../../src/workflows/index.js';
import { agentsFile, clientFor, repoFile, testConfig, withWorker } from '../support/temporal.js';
import { startA2aServer, type A2aServerOptions, type A2aTestServer } from '../support/a2aServer.js';

const reportSchema = {
  type: 'object',
  required: ['summary', 'criteria'],
  properties: { summary: { type: 'string' }, criteria: { type: 'array' } },
};

const contract = (id: string): ContractT =>
  Contract.parse({
    id: `${id}-${Date.now().toString(36)}`,
    title: 'Engagement metrics dashboard',
    objective: 'Design the analytics dashboard and its metrics for engagement data.',
    acceptanceCriteria: ['lists the metrics'],
    outputSchema: reportSchema,
  });

const a2aAgent = (id: string, cardUrl: string, timeout = '60s') => `
  - id: ${id}
    description: an A2A agent
    capabilities: { domains: [data, general] }
    endpoint: { kind: a2a, card: '${cardUrl}' }
    timeout: ${timeout}`;

const builtin = (id: string, extra = '') => `
  - id: ${id}
    description: a builtin agent
    capabilities: { domains: [data, general] }
    endpoint: { kind: builtin, name: report }
    ${extra}`;

let connection: Connection;
let client: Client;
const servers: A2aTestServer[] = [];

beforeAll(async () => {
  ({ client, connection } = await clientFor(testConfig()));
});
afterAll(async () => {
  await connection.close();
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(opts: A2aServerOptions): Promise<A2aTestServer> {
  const s = await startA2aServer(opts);
  servers.push(s);
  return s;
}

async function until<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The heartbeat details of the workflow's running executeAgent, once it has some. */
async function heartbeatDetails(workflowId: string): Promise<{ taskId?: string } | undefined> {
  const d = await client.workflow.getHandle(workflowId).describe();
  for (const a of d.raw.pendingActivities ?? []) {
    const payload = a.heartbeatDetails?.payloads?.[0];
    if (payload) return defaultPayloadConverter.fromPayload(payload);
  }
  return undefined;
}

function start(config: Config, c: ContractT) {
  return client.workflow.start<typeof contractWorkflow>('contractWorkflow', {
    taskQueue: config.taskQueue,
    workflowId: `contract/${c.id}`,
    args: [{ contract: c }],
  });
}

describe('A2A agents in the contract workflow', () => {
  it('a contract routed by policy to an A2A agent: a slow task followed with heartbeats, output validated', async () => {
    const s = await server({ mode: 'slow', slowMs: 4_000 });
    const config = testConfig({ agentsFile: agentsFile(`agents:${a2aAgent('remote-a2a', s.cardUrl)}`) });
    const c = contract('a2a-slow');
    const { state, details } = await withWorker(config, async () => {
      const handle = await start(config, c);
      const taskId = await s.started(1);
      // The running activity's heartbeats name the remote task it follows.
      const seen = await until(async () => {
        const d = await heartbeatDetails(handle.workflowId);
        return d?.taskId === taskId ? d : undefined;
      }, 'a heartbeat naming the remote task');
      return { state: await handle.result(), details: seen };
    });
    expect(state.outcome).toBe('SUCCEEDED');
    expect(state.decision?.route).toBe('AGENT');
    expect(state.decision?.policyIds).toContain('capability-match');
    expect(state.agentId).toBe('remote-a2a');
    expect(state.output).toEqual({
      summary: `done by the A2A agent: ${c.title}`,
      criteria: ['lists the metrics'],
    });
    expect(details).toMatchObject({ protocol: 'a2a', taskId: s.tasksStarted[0] });
    expect(s.sends).toHaveLength(1);
    expect(s.tasksStarted).toHaveLength(1);
    expect(s.gets).toBeGreaterThan(1);
  });

  it('a failing A2A agent: the fallback does the work and the A2A agent ledger records the failure', async () => {
    const s = await server({ mode: 'failing' });
    const config = testConfig({
      agentsFile: agentsFile(
        `agents:${a2aAgent('remote-a2a', s.cardUrl)}${builtin('steady', 'pricing: { perCallUsd: 0.01 }')}`,
      ),
    });
    const c = contract('a2a-failing');
    const [state, ledger] = await withWorker(config, async () => {
      const handle = await start(config, c);
      const result = await handle.result();
      return [result, await readSnapshot(client, config.taskQueue, 'remote-a2a', Date.now())] as const;
    });
    expect(state.outcome).toBe('SUCCEEDED');
    expect(state.agentId).toBe('steady');
    expect(state.attempts.map((a) => [a.agentId, a.ok, a.errorCategory])).toEqual([
      ['remote-a2a', false, 'agent-error'],
      ['steady', true, undefined],
    ]);
    expect(ledger.stats.recentErrors[0]).toMatchObject({ category: 'agent-error' });
    expect(ledger.stats.recentErrors[0]?.error).toContain('the model backend is down');
    // Each retry of the failed step started a new task (the failed one is never followed again).
    expect(s.tasksStarted.length).toBeGreaterThanOrEqual(2);
    expect(new Set(s.sends.map((m) => m.messageId)).size).toBe(s.sends.length);
  });

  it("input-required: the agent's question waits for a person, and the answer goes back on the same task", async () => {
    const s = await server({ mode: 'ask' });
    const config = testConfig({ agentsFile: agentsFile(`agents:${a2aAgent('asker', s.cardUrl)}`) });
    const c = contract('a2a-question');
    const arbiter = await Arbiter.connect(config);
    try {
      const { state, listed } = await withWorker(config, async () => {
        const handle = await start(config, c);
        const item = await until(
          async () => (await arbiter.reviews()).find((r) => r.workflowId === handle.workflowId),
          '`arbiter reviews` listing the question',
        );
        await arbiter.review(handle.workflowId, { decision: 'approve', reviewer: 'alice', text: 'EUR' });
        return { state: await handle.result(), listed: item };
      });
      expect(listed.subject).toBe('agent-question');
      expect(listed.why.join(' ')).toContain('Which currency should the forecast use?');
      expect(state.outcome).toBe('SUCCEEDED');
      expect(state.output).toEqual({ summary: 'answered: EUR', criteria: [] });
      expect(state.review?.answer).toMatchObject({ reviewer: 'alice', text: 'EUR', via: 'update' });
      // One remote task: the answer went back on it, and the trail shows its states.
      expect(s.tasksStarted).toHaveLength(1);
      expect(s.sends.map((m) => m.taskId)).toEqual(['', s.tasksStarted[0]]);
      const remote = state.trail.filter((e) => e.kind === 'remote-task').map((e) => e.summary);
      expect(remote).toEqual([
        expect.stringMatching(new RegExp(`A2A task ${s.tasksStarted[0]}: .*input-required$`)),
        expect.stringMatching(new RegExp(`A2A task ${s.tasksStarted[0]}: .*completed$`)),
      ]);
    } finally {
      await arbiter.close();
    }
  });

  it('a declined question: the attempt fails as refused and the fallback does the work', async () => {
    const s = await server({ mode: 'ask' });
    const config = testConfig({
      agentsFile: agentsFile(
        `agents:${a2aAgent('asker', s.cardUrl)}${builtin('steady', 'pricing: { perCallUsd: 0.01 }')}`,
      ),
    });
    const c = contract('a2a-declined');
    const arbiter = await Arbiter.connect(config);
    try {
      const state = await withWorker(config, async () => {
        const handle = await start(config, c);
        await until(
          async () =>
            (await arbiter.reviews()).some((r) => r.workflowId === handle.workflowId) ? true : undefined,
          'the question listed',
        );
        await arbiter.review(handle.workflowId, {
          decision: 'reject',
          reviewer: 'alice',
          reason: 'not ours to say',
        });
        return handle.result();
      });
      expect(state.outcome).toBe('SUCCEEDED');
      expect(state.attempts.map((a) => [a.agentId, a.ok, a.errorCategory])).toEqual([
        ['asker', false, 'refused'],
        ['steady', true, undefined],
      ]);
      expect(state.attempts[0]?.error).toContain('declined by alice');
    } finally {
      await arbiter.close();
    }
  });

  it('cancelling the contract sends tasks/cancel for the remote task', async () => {
    const s = await server({ mode: 'slow', slowMs: 120_000 });
    const config = testConfig({
      agentsFile: agentsFile(`agents:${a2aAgent('remote-a2a', s.cardUrl, '180s')}`),
    });
    const c = contract('a2a-cancel');
    await withWorker(config, async () => {
      const handle = await start(config, c);
      const taskId = await s.started(1);
      await until(
        async () => ((await heartbeatDetails(handle.workflowId))?.taskId === taskId ? true : undefined),
        'the task followed',
      );
      await handle.cancel();
      await until(() => (s.cancels.includes(taskId) ? true : undefined), 'tasks/cancel at the agent');
    });
    expect(s.cancels).toEqual([s.tasksStarted[0]]);
  });
});

describe('executeAgent on A2A agents, as the workflow sees it', () => {
  let native: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;
  let config: Config;
  // Started here, not with server(): they serve every test of this block.
  let askServer: A2aTestServer;
  let hugeServer: A2aTestServer;

  beforeAll(async () => {
    [askServer, hugeServer] = await Promise.all([
      startA2aServer({ mode: 'ask' }),
      startA2aServer({ mode: 'huge' }),
    ]);
    config = testConfig({
      agentsFile: agentsFile(
        `agents:${a2aAgent('asker', askServer.cardUrl)}${a2aAgent('huge', hugeServer.cardUrl)}`,
      ),
    });
    try {
      Runtime.install({ logger: new DefaultLogger('ERROR') });
    } catch {
      // withWorker (earlier in this file) installed it already.
    }
    native = await NativeConnection.connect({ address: config.address! });
    worker = await Worker.create({
      connection: native,
      namespace: config.namespace,
      taskQueue: config.taskQueue,
      activities: createActivities(loadDeps(config)),
      workflowsPath: repoFile('test/support/workflows/executeAgentOnce.ts'),
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker.shutdown();
    await running;
    await native.close();
    await Promise.all([askServer.close(), hugeServer.close()]);
  });

  const once = (c: ContractT, agentId: string, id: string, args: object = {}) =>
    client.workflow.execute('executeAgentOnce', {
      taskQueue: config.taskQueue,
      workflowId: `${c.id}-${id}`,
      args: [{ contract: c, agentId, ...args }],
    }) as Promise<ExecuteResult>;

  it('a task that asks a question: pending with the question; a call with reply answers on the same task', async () => {
    const s = askServer;
    const c = contract('a2a-ask');
    const asked = await once(c, 'asker', 'ask');
    const answered = await once(c, 'asker', 'answer', {
      reply: { taskId: asked.pending!.taskId, contextId: asked.pending!.contextId, text: 'EUR' },
    });
    expect(asked.output).toBeUndefined();
    expect(asked.pending).toEqual({
      state: 'input-required',
      taskId: s.tasksStarted[0],
      contextId: s.sends[0]!.contextId,
      question: 'Which currency should the forecast use?',
    });
    expect(asked.remote?.taskId).toBe(s.tasksStarted[0]);
    expect(asked.remote?.states.map((x) => x.state)).toContain('input-required');
    expect(answered.pending).toBeUndefined();
    expect(answered.output).toEqual({ summary: 'answered: EUR', criteria: [] });
    expect(answered.remote?.taskId).toBe(s.tasksStarted[0]);
    expect(answered.remote?.states.at(-1)?.state).toBe('completed');
    expect(s.tasksStarted).toHaveLength(1);
    expect(s.sends.map((m) => [m.taskId, m.text.split('\n')[0]])).toEqual([
      ['', c.title],
      [s.tasksStarted[0], 'EUR'],
    ]);
  });

  it('an output over the size cap is refused as invalid-output, like every kind', async () => {
    const err = await once(contract('a2a-huge'), 'huge', 'huge').then(
      () => undefined,
      (e: unknown) => e as Error & { cause?: { cause?: { type?: string; message?: string } } },
    );
    const failure = err?.cause?.cause;
    expect(failure?.type).toBe('invalid-output');
    expect(failure?.message).toMatch(/exceeds the 1000000-byte limit/);
  });
});
