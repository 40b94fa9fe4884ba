// Trust and circuit breaking through real contracts: an http agent we can make fail on demand.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/settings.js';
import { Contract } from '../../src/shared/contract.js';
import type { ContractState } from '../../src/shared/decision.js';
import type { contractWorkflow } from '../../src/workflows/index.js';
import { reviewUpdate, stateQuery } from '../../src/shared/messages.js';
import { readSnapshot } from '../../src/governance/ledgers.js';
import { agentsFile, clientFor, testConfig, withWorker } from '../support/temporal.js';

let server: Server;
let healthy = true;
const seenKeys: string[] = [];
let client: Client;
let connection: Connection;
let base: Config;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seenKeys.push((JSON.parse(body) as { idempotencyKey: string }).idempotencyKey);
      if (!healthy) {
        res.writeHead(500).end('down');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ output: { summary: 'done by http' }, usage: { costUsd: 0.001 } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = testConfig();
  ({ client, connection } = await clientFor(base));
});
afterAll(async () => {
  server.close();
  await connection.close();
});

describe('trust from measured outcomes', () => {
  const url = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/run`;
  const remote = () =>
    `  - { id: remote, description: r, capabilities: { domains: [data] }, endpoint: { kind: http, url: "${url()}" } }\n`;
  const backup = `  - { id: backup, description: b, capabilities: { domains: [data] }, endpoint: { kind: builtin, name: report }, pricing: { perCallUsd: 0.5 } }\n`;
  let n = 0;
  const contractArgs = (): [{ contract: Contract }] => [
    {
      contract: Contract.parse({
        id: `t${(n += 1)}`,
        title: 'Metrics',
        objective: 'Compute the analytics metrics.',
      }),
    },
  ];
  const run = (config: Config): Promise<ContractState> =>
    client.workflow.execute<typeof contractWorkflow>('contractWorkflow', {
      taskQueue: config.taskQueue,
      workflowId: `contract/trust-${Date.now().toString(36)}-${n + 1}`,
      args: contractArgs(),
    });
  /** Remote earns trust (cheaper, succeeds), then fails twice: with a threshold of 2 that opens its circuit. */
  async function openRemoteCircuit(config: Config): Promise<void> {
    healthy = true;
    for (let i = 0; i < 3; i++) expect((await run(config)).agentId).toBe('remote');
    healthy = false;
    for (let i = 0; i < 2; i++) {
      const s = await run(config);
      expect(s.attempts.map((a) => `${a.agentId}:${a.ok}`)).toEqual(['remote:false', 'backup:true']);
    }
  }

  it('opens a failing agent circuit, routes around it, and escalates when it is the only agent', async () => {
    const config = testConfig({ agentsFile: agentsFile(`agents:\n${remote()}${backup}`) });
    // A cool-down far longer than this test: the circuit stays open however slow the machine is.
    // No reuse of ledger readings here: each contract must see the previous one's outcome.
    const ledger = {
      standingsTtlMs: 0,
      ledgerOptions: { breaker: { failureThreshold: 2, coolDownMs: 3_600_000 } },
    };
    await withWorker(
      config,
      async () => {
        await openRemoteCircuit(config);
        // Two failures opened remote's circuit: the next contract never tries it.
        const before = seenKeys.length;
        const skipped = await run(config);
        expect(skipped.attempts.map((a) => a.agentId)).toEqual(['backup']);
        expect(skipped.outcome).toBe('SUCCEEDED');
        expect(seenKeys.length).toBe(before);
      },
      ledger,
    );
    // A new worker, with remote as the only agent, sees the same ledger: the circuit is still
    // open, so the contract is escalated to a person, not failed, and remote is not called.
    const onlyRemote = { ...config, agentsFile: agentsFile(`agents:\n${remote()}`) };
    const calls = seenKeys.length;
    await withWorker(
      onlyRemote,
      async () => {
        const handle = await client.workflow.start<typeof contractWorkflow>('contractWorkflow', {
          taskQueue: config.taskQueue,
          workflowId: `contract/trust-${Date.now().toString(36)}-${n + 1}`,
          args: contractArgs(),
        });
        await expect
          .poll(async () => (await handle.query(stateQuery)).status, { timeout: 60_000 })
          .toBe('awaiting-review');
        expect((await handle.query(stateQuery)).review?.why[0]).toContain('remote (circuit open)');
        await handle.executeUpdate(reviewUpdate, {
          args: [{ decision: 'reject', reviewer: 'alice', reason: 'wait for the agent to recover' }],
        });
        const refused = await handle.result();
        expect(refused.outcome).toBe('FAILED');
        expect(refused.reason).toContain('escalation rejected by alice');
      },
      ledger,
    );
    expect(seenKeys.length).toBe(calls);
    // Every retry of one attempt carried the same idempotency key: each failed attempt was tried
    // three times (the execute step's retry policy), each successful one once.
    const perKey = new Map<string, number>();
    for (const k of seenKeys) perKey.set(k, (perKey.get(k) ?? 0) + 1);
    expect(Math.max(...perKey.values())).toBe(3);
  });

  it('lets exactly one probe through a half-open circuit after the cool-down, and closes it when the probe succeeds', async () => {
    const config = testConfig({ agentsFile: agentsFile(`agents:\n${remote()}${backup}`) });
    // A short cool-down that this test waits out by watching the circuit, not the clock.
    const ledger = {
      standingsTtlMs: 0,
      ledgerOptions: { breaker: { failureThreshold: 2, coolDownMs: 1_000 } },
    };
    await withWorker(config, () => openRemoteCircuit(config), ledger);
    const onlyRemote = { ...config, agentsFile: agentsFile(`agents:\n${remote()}`) };
    await withWorker(
      onlyRemote,
      async () => {
        await expect
          .poll(
            async () => (await readSnapshot(client, config.taskQueue, 'remote', Date.now())).breaker.state,
            { timeout: 60_000, interval: 250 },
          )
          .toBe('half-open');
        healthy = true;
        const before = seenKeys.length;
        const probe = await run(config);
        expect(probe.outcome).toBe('SUCCEEDED');
        expect(probe.attempts.map((a) => `${a.agentId}:${a.ok}`)).toEqual(['remote:true']);
        expect(seenKeys.length - before).toBe(1);
        // The successful probe closed the circuit: the next contract goes straight to remote.
        await expect
          .poll(
            async () => (await readSnapshot(client, config.taskQueue, 'remote', Date.now())).breaker.state,
            { timeout: 60_000, interval: 250 },
          )
          .toBe('closed');
        const after = await run(config);
        expect(after.attempts.map((a) => `${a.agentId}:${a.ok}`)).toEqual(['remote:true']);
      },
      ledger,
    );
  });

  it('escalates to a person when every permitted agent fails, and retries the agent the reviewer approves', async () => {
    const config = testConfig({
      agentsFile: agentsFile(
        `agents:\n  - { id: solo, description: s, capabilities: { domains: [data] }, endpoint: { kind: http, url: "${url()}" } }\n`,
      ),
    });
    healthy = false;
    const state = await withWorker(
      config,
      async () => {
        const handle = await client.workflow.start<typeof contractWorkflow>('contractWorkflow', {
          taskQueue: config.taskQueue,
          workflowId: `contract/escalate-${Date.now().toString(36)}`,
          args: [
            {
              contract: Contract.parse({
                id: 'esc',
                title: 'Metrics',
                objective: 'Compute the analytics metrics.',
              }),
            },
          ],
        });
        await expect
          .poll(async () => (await handle.query(stateQuery)).status, { timeout: 30_000 })
          .toBe('awaiting-review');
        const waiting = await handle.query(stateQuery);
        expect(waiting.review?.why).toEqual(['escalation: every permitted agent failed']);
        expect(waiting.attempts).toEqual([expect.objectContaining({ agentId: 'solo', ok: false })]);
        healthy = true;
        await handle.executeUpdate(reviewUpdate, {
          args: [{ decision: 'approve', reviewer: 'bob', agentId: 'solo', reason: 'agent fixed' }],
        });
        return handle.result();
      },
      { standingsTtlMs: 0 },
    );
    expect(state.outcome).toBe('SUCCEEDED');
    expect(state.attempts.map((a) => `${a.agentId}:${a.ok}`)).toEqual(['solo:false', 'solo:true']);
    expect(state.review?.answer).toMatchObject({ reviewer: 'bob', decision: 'approve' });
  });
});
