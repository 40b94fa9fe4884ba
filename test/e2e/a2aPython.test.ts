// Interoperability with an independent A2A implementation: an agent built with the Python SDK
// (a2a-sdk 1.3, installed into .tools/venv by `npm run setup`) speaking protocol 1.0, and the same
// agent offering only 0.3 through that SDK's compatibility mode (a 0.3 card, `message/send`,
// `tasks/get`). Arbiter's client must read both cards and have the work done on both.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchCard } from '../../src/agents/a2a/fetchCard.js';
import { runA2a } from '../../src/agents/a2a/run.js';
import { freePort } from '../../src/config/freePort.js';
import { Agent } from '../../src/shared/agent.js';
import { Contract } from '../../src/shared/contract.js';
import type { contractWorkflow } from '../../src/workflows/index.js';
import { agentsFile, clientFor, repoFile, testConfig, withWorker } from '../support/temporal.js';

const python = repoFile('.tools/venv/bin/python');

interface PyAgent {
  cardUrl: string;
  child: ChildProcess;
  output: () => string;
}

const started: PyAgent[] = [];

async function startPython(compat: boolean): Promise<PyAgent> {
  if (!existsSync(python))
    throw new Error(`${python} is missing: run \`npm run setup\` (it installs a2a-sdk)`);
  const port = await freePort();
  const child = spawn(
    python,
    [repoFile('test/support/a2a_server.py'), '--port', String(port), ...(compat ? ['--compat'] : [])],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const agent = { cardUrl: `http://127.0.0.1:${port}/.well-known/agent-card.json`, child, output: () => out };
  started.push(agent);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the Python A2A agent exited: ${out}`);
    const ok = await fetch(agent.cardUrl)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return agent;
    if (Date.now() > deadline) throw new Error(`the Python A2A agent did not answer: ${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

let v10: PyAgent;
let v03: PyAgent;

beforeAll(async () => {
  [v10, v03] = await Promise.all([startPython(false), startPython(true)]);
});
afterAll(async () => {
  await Promise.all(
    started.map(
      (a) =>
        new Promise<void>((resolve) => {
          if (a.child.exitCode !== null) return resolve();
          a.child.once('exit', () => resolve());
          a.child.kill('SIGTERM');
        }),
    ),
  );
});

const contract = (id: string) =>
  Contract.parse({
    id: `${id}-${Date.now().toString(36)}`,
    title: 'Engagement metrics dashboard',
    objective: 'Design the analytics dashboard and its metrics for engagement data.',
    acceptanceCriteria: ['lists the metrics'],
    outputSchema: { type: 'object', required: ['summary', 'criteria'] },
  });

describe('A2A interoperability with the Python SDK', () => {
  it('protocol 1.0: a contract routed to the Python agent succeeds with its validated output', async () => {
    const info = await fetchCard(v10.cardUrl, { env: {} });
    expect(info.service.version).toBe('1.0');
    const config = testConfig({
      agentsFile: agentsFile(`agents:
  - id: py-agent
    description: the Python SDK's agent
    capabilities: { domains: [data] }
    endpoint: { kind: a2a, card: '${v10.cardUrl}', skill: report }
`),
    });
    const { client, connection } = await clientFor(config);
    try {
      const c = contract('py10');
      const state = await withWorker(config, () =>
        client.workflow.execute<typeof contractWorkflow>('contractWorkflow', {
          taskQueue: config.taskQueue,
          workflowId: `contract/${c.id}`,
          args: [{ contract: c }],
        }),
      );
      expect(state.outcome).toBe('SUCCEEDED');
      expect(state.agentId).toBe('py-agent');
      expect(state.output).toEqual({
        summary: `done by the Python agent: ${c.title}`,
        criteria: ['lists the metrics'],
      });
    } finally {
      await connection.close();
    }
  });

  it("protocol 0.3 (the SDK's compatibility mode, a 0.3 card): read, sent, followed, completed", async () => {
    const info = await fetchCard(v03.cardUrl, { env: {} });
    expect(info.service).toEqual({
      url: v03.cardUrl.replace('/.well-known/agent-card.json', '/a2a'),
      version: '0.3',
    });
    const c = contract('py03');
    const result = await runA2a(
      {
        agent: Agent.parse({
          id: 'py-old',
          description: 'a 0.3 agent',
          capabilities: { domains: ['data'] },
          endpoint: { kind: 'a2a', card: v03.cardUrl },
        }),
        contract: c,
        input: null,
        idempotencyKey: `contract/${c.id}/execute`,
        attempt: 1,
        signal: new AbortController().signal,
      },
      undefined,
      { heartbeat: () => undefined, workAbandoned: () => false, env: {}, pollMs: 200 },
    );
    expect(result).toMatchObject({
      kind: 'output',
      output: { summary: `done by the Python agent: ${c.title}`, criteria: ['lists the metrics'] },
    });
    expect(result.remote?.states.map((s) => s.state)).toEqual(
      expect.arrayContaining(['working', 'completed']),
    );
  });
});
