// The agent ledger on the real dev server: outcomes recorded through the activity code and through
// signal-with-start, deduplication, durability across a worker restart, and continue-as-new.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { loadDeps } from '../../src/activities/deps.js';
import { ledgerActivities } from '../../src/activities/ledger.js';
import { claimRoute, readSnapshot, readStanding } from '../../src/governance/ledgers.js';
import type { Config } from '../../src/config/settings.js';
import type { Outcome } from '../../src/shared/trust.js';
import {
  ledgerWorkflowId,
  recordOutcomeSignal,
  SNAPSHOT_MEMO,
  type RecordOutcome,
} from '../../src/shared/ledgerMessages.js';
import type { LedgerOptions } from '../../src/shared/ledgerMessages.js';
import type { agentLedgerWorkflow } from '../../src/workflows/agentLedger.js';
import { clientFor, testConfig, withWorker } from '../support/temporal.js';

let config: Config;
let client: Client;
let connection: Connection;
let n = 0;

beforeAll(async () => {
  config = testConfig();
  ({ client, connection } = await clientFor(config));
});
afterAll(async () => {
  await connection.close();
});

const agentId = () => `ledger-${process.pid}-${Date.now().toString(36)}-${++n}`;
const ok = (extra: Partial<Outcome> = {}): Outcome => ({
  at: Date.now(),
  ok: true,
  latencyMs: 120,
  ...extra,
});
const fail = (extra: Partial<Outcome> = {}): Outcome => ({
  at: Date.now(),
  ok: false,
  category: 'timeout',
  error: 'the agent did not answer in time',
  ...extra,
});
const activities = (ledgerOptions?: LedgerOptions) =>
  ledgerActivities(loadDeps(config), {
    client,
    taskQueue: config.taskQueue,
    ...(ledgerOptions ? { ledgerOptions } : {}),
  });

describe('agent ledger workflow', () => {
  it('records outcomes through the activity and answers snapshots; an unknown agent is fresh', async () => {
    const id = agentId();
    const acts = activities();
    await withWorker(config, async () => {
      await acts.recordAgentOutcome({ agentId: id, outcomeId: 'c1/0', outcome: ok({ costUsd: 0.01 }) });
      await acts.recordAgentOutcome({ agentId: id, outcomeId: 'c2/0', outcome: ok({ costUsd: 0.03 }) });
      await acts.recordAgentOutcome({ agentId: id, outcomeId: 'c3/0', outcome: fail() });
      const [mine, unknown] = await acts.agentSnapshots({ agentIds: [id, `${id}-never-ran`] });
      expect(mine).toMatchObject({ agentId: id, outcomes: 3, recorded: true, probation: true });
      expect(mine?.stats.successRate).toBeCloseTo(2 / 3, 3);
      expect(mine?.stats.meanCostUsd).toBeCloseTo(0.02, 6);
      expect(mine?.stats.errorsByCategory).toEqual({ timeout: 1 });
      expect(mine?.breaker.state).toBe('closed');
      expect(unknown).toMatchObject({ recorded: false, probation: true, outcomes: 0, routable: true });
      expect(unknown?.trust).toBeLessThan(mine?.trust ?? 0);
    });
  });

  it("works over the worker's own client, the one activities get from Context.current().client", async () => {
    // Same worker setup as withWorker, kept here so the test can hand `worker.client` (a Client over
    // the worker's NativeConnection, experimental in SDK 1.24) to the activities.
    const native = await NativeConnection.connect({ address: config.address! });
    try {
      const taskQueue = `${config.taskQueue}-own`;
      const worker = await Worker.create({
        connection: native,
        namespace: config.namespace,
        taskQueue,
        workflowBundle: { codePath: inject('workflowBundlePath') },
      });
      const acts = ledgerActivities(loadDeps(config), { client: worker.client, taskQueue });
      const id = agentId();
      await worker.runUntil(async () => {
        await acts.recordAgentOutcome({ agentId: id, outcomeId: 'w/0', outcome: ok() });
        await acts.recordAgentOutcome({ agentId: id, outcomeId: 'w/0', outcome: ok() });
        const [snap] = await acts.agentSnapshots({ agentIds: [id] });
        expect(snap).toMatchObject({ agentId: id, outcomes: 1, recorded: true });
        expect(await acts.claimCircuitProbe({ agentId: id, claimId: 'c' })).toBe(true);
      });
    } finally {
      await native.close();
    }
  });

  it('counts a duplicate outcomeId once, whichever path delivers it', async () => {
    const id = agentId();
    const acts = activities();
    const req: RecordOutcome = { agentId: id, outcomeId: 'contract/x/0', outcome: ok() };
    await withWorker(config, async () => {
      await acts.recordAgentOutcome(req);
      await acts.recordAgentOutcome(req);
      await client.workflow.signalWithStart<typeof agentLedgerWorkflow, [RecordOutcome]>(
        'agentLedgerWorkflow',
        {
          workflowId: ledgerWorkflowId(id, config.taskQueue),
          taskQueue: config.taskQueue,
          args: [{ agentId: id }],
          signal: recordOutcomeSignal,
          signalArgs: [req],
        },
      );
      // Addressed to another agent or malformed: refused, not counted.
      await client.workflow
        .getHandle(ledgerWorkflowId(id, config.taskQueue))
        .signal(recordOutcomeSignal, { ...req, agentId: 'someone-else', outcomeId: 'other' });
      await acts.recordAgentOutcome({ ...req, outcomeId: 'contract/y/0' });
      const snap = await readSnapshot(client, config.taskQueue, id, Date.now());
      expect(snap.outcomes).toBe(2);
    });
  });

  it('keeps trust and circuit state across a worker restart', async () => {
    const id = agentId();
    const acts = activities({ breaker: { failureThreshold: 3, coolDownMs: 3_600_000 } });
    const now = Date.now();
    const before = await withWorker(config, async () => {
      for (let i = 0; i < 6; i++)
        await acts.recordAgentOutcome({ agentId: id, outcomeId: `ok-${i}`, outcome: ok() });
      for (let i = 0; i < 3; i++)
        await acts.recordAgentOutcome({ agentId: id, outcomeId: `f-${i}`, outcome: fail() });
      const snap = await readSnapshot(client, config.taskQueue, id, now);
      expect(snap.breaker.state).toBe('open');
      expect(snap.routable).toBe(false);
      expect(snap.probation).toBe(false);
      expect(await claimRoute(client, config.taskQueue, id, 'probe-1')).toBe(false);
      return snap;
    });
    // A new worker has an empty cache: it rebuilds the ledger by replaying its history.
    const after = await withWorker(config, () => readSnapshot(client, config.taskQueue, id, now));
    expect(after).toEqual(before);
  });

  it('publishes its snapshot, so decisions read standings with no worker to answer a query', async () => {
    const id = agentId();
    const acts = activities({ breaker: { failureThreshold: 2, coolDownMs: 3_600_000 } });
    const handle = client.workflow.getHandle(ledgerWorkflowId(id, config.taskQueue));
    const exact = await withWorker(config, async () => {
      for (let i = 0; i < 4; i++)
        await acts.recordAgentOutcome({ agentId: id, outcomeId: `ok-${i}`, outcome: ok() });
      await acts.recordAgentOutcome({ agentId: id, outcomeId: 'f-0', outcome: fail() });
      await acts.recordAgentOutcome({ agentId: id, outcomeId: 'f-1', outcome: fail() });
      const snap = await readSnapshot(client, config.taskQueue, id, Date.now());
      // The ledger publishes after applying what it received: wait for the memo to catch up.
      await until(async () => {
        const memo = (await handle.describe()).memo?.[SNAPSHOT_MEMO] as { outcomes?: number } | undefined;
        return memo?.outcomes === 6;
      });
      return snap;
    });
    // No worker runs now: a query could not be answered, the published snapshot still is.
    const published = await readStanding(client, config.taskQueue, id, Date.now());
    expect(published.outcomes).toBe(6);
    expect(published.trust).toBeCloseTo(exact.trust, 2);
    expect(published.breaker.state).toBe('open');
    expect(published.routable).toBe(false);
    await expect(readSnapshot(client, config.taskQueue, id, Date.now(), 2_000)).rejects.toThrow();
  });

  it('continues as new when its history grows, carrying outcomes, breaker and dedupe ids', async () => {
    const id = agentId();
    const acts = activities({ continueAfter: 3, breaker: { failureThreshold: 2, coolDownMs: 1 } });
    await withWorker(config, async () => {
      const handle = client.workflow.getHandle(ledgerWorkflowId(id, config.taskQueue));
      await acts.recordAgentOutcome({ agentId: id, outcomeId: 'o-0', outcome: ok() });
      const firstRun = (await handle.describe()).runId;
      for (let i = 1; i < 5; i++)
        await acts.recordAgentOutcome({ agentId: id, outcomeId: `o-${i}`, outcome: ok() });
      await acts.recordAgentOutcome({ agentId: id, outcomeId: 'f-0', outcome: fail() });
      await acts.recordAgentOutcome({ agentId: id, outcomeId: 'f-1', outcome: fail() });
      await until(async () => (await handle.describe()).runId !== firstRun);
      // Delivered again after continue-as-new: still counted once.
      await acts.recordAgentOutcome({ agentId: id, outcomeId: 'o-0', outcome: ok() });
      const snap = await readSnapshot(client, config.taskQueue, id, Date.now() + 10);
      expect(snap.outcomes).toBe(7);
      expect(snap.stats.errorsByCategory).toEqual({ timeout: 2 });
      // The circuit opened on the two failures; its (1 ms) cool-down has passed: one probe only.
      expect(snap.breaker.state).toBe('half-open');
      expect(await claimRoute(client, config.taskQueue, id, 'probe-a')).toBe(true);
      expect(await claimRoute(client, config.taskQueue, id, 'probe-b')).toBe(false);
      await acts.recordAgentOutcome({ agentId: id, outcomeId: 'probe-a', outcome: ok() });
      expect((await readSnapshot(client, config.taskQueue, id, Date.now())).breaker.state).toBe('closed');
    });
  });
});

async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
