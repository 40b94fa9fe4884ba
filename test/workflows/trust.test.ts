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
  it('opens a failing agent circuit, routes around it, and closes it after a successful probe', async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/run`;
    const remote = `  - { id: remote, description: r, capabilities: { domains: [data] }, endpoint: { kind: http, url: "${url}" } }\n`;
    const backup = `  - { id: backup, description: b, capabilities: { domains: [data] }, endpoint: { kind: builtin, name: report }, pricing: { perCallUsd: 0.5 } }\n`;
    const config = testConfig({ agentsFile: agentsFile(`agents:\n${remote}${backup}`) });
    let n = 0;
    const run = (): Promise<ContractState> =>
      client.workflow.execute<typeof contractWorkflow>('contractWorkflow', {
        taskQueue: config.taskQueue,
        workflowId: `contract/trust-${Date.now().toString(36)}-${(n += 1)}`,
        args: [
          {
            contract: Contract.parse({
              id: `t${n}`,
              title: 'Metrics',
              objective: 'Compute the analytics metrics.',
            }),
          },
        ],
      });
    // No reuse of ledger readings here: each contract must see the previous one's outcome.
    const ledger = {
      standingsTtlMs: 0,
      ledgerOptions: { breaker: { failureThreshold: 2, coolDownMs: 4_000 } },
    };
    await withWorker(
      config,
      async () => {
        // Remote is cheaper and succeeds, so it earns trust and is chosen first.
        for (let i = 0; i < 3; i++) expect((await run()).agentId).toBe('remote');
        healthy = false;
        for (let i = 0; i < 2; i++) {
          const s = await run();
          expect(s.attempts.map((a) => `${a.agentId}:${a.ok}`)).toEqual(['remote:false', 'backup:true']);
        }
        // Two failures opened remote's circuit: the next contract never tries it.
        const skipped = await run();
        expect(skipped.attempts.map((a) => a.agentId)).toEqual(['backup']);
        const select = skipped.trail.find((e) => e.step === 'select');
        expect(JSON.stringify(select?.data)).toContain('circuit open: skipped');
      },
      ledger,
    );
    // A new worker, with remote as the only agent, sees the same ledger: the circuit is still open,
    // and after the cool-down exactly one probe goes through; it succeeds and closes the circuit.
    const onlyRemote = { ...config, agentsFile: agentsFile(`agents:\n${remote}`) };
    await withWorker(
      onlyRemote,
      async () => {
        // With its only agent's circuit open, the contract is escalated to a person, not failed.
        const handle = await client.workflow.start<typeof contractWorkflow>('contractWorkflow', {
          taskQueue: config.taskQueue,
          workflowId: `contract/trust-${Date.now().toString(36)}-${(n += 1)}`,
          args: [
            {
              contract: Contract.parse({
                id: `t${n}`,
                title: 'Metrics',
                objective: 'Compute the analytics metrics.',
              }),
            },
          ],
        });
        await expect
          .poll(async () => (await handle.query(stateQuery)).status, { timeout: 30_000 })
          .toBe('awaiting-review');
        expect((await handle.query(stateQuery)).review?.why[0]).toContain('remote (circuit open)');
        await handle.executeUpdate(reviewUpdate, {
          args: [{ decision: 'reject', reviewer: 'alice', reason: 'wait for the agent to recover' }],
        });
        const refused = await handle.result();
        expect(refused.outcome).toBe('FAILED');
        expect(refused.reason).toContain('escalation rejected by alice');
        healthy = true;
        await new Promise((r) => setTimeout(r, 4_500));
        const probe = await run();
        expect(probe.attempts.map((a) => `${a.agentId}:${a.ok}`)).toEqual(['remote:true']);
        expect(probe.trail.some((e) => e.summary.includes('probes its half-open circuit'))).toBe(true);
        const after = await run();
        expect(after.attempts.map((a) => `${a.agentId}:${a.ok}`)).toEqual(['remote:true']);
        expect(after.trail.some((e) => e.summary.includes('probes'))).toBe(false);
      },
      ledger,
    );
    // Every retry of one attempt carried the same idempotency key.
    const perKey = new Map<string, number>();
    for (const k of seenKeys) perKey.set(k, (perKey.get(k) ?? 0) + 1);
    expect(Math.max(...perKey.values())).toBe(3);
  });

  it('escalates to a person when every permitted agent fails, and retries the agent the reviewer approves', async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/run`;
    const config = testConfig({
      agentsFile: agentsFile(
        `agents:\n  - { id: solo, description: s, capabilities: { domains: [data] }, endpoint: { kind: http, url: "${url}" } }\n`,
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
