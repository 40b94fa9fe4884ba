// Resource exhaustion: a burst of contracts at one `http` agent whose agents.yaml entry says
// `limits: { maxConcurrent: 2, perSecond: 20 }`. The agent counts the requests it is serving at
// once; it must never see more than 2. While it holds its first answers, the rest of the burst
// must wait in the agent's own task queue, visible as backlog; once it answers, the queue drains
// and every contract succeeds.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { queueDepth, type QueueDepth } from '../../src/observability/queueDepth.js';
import { agentQueue } from '../../src/shared/agent.js';
import type { contractWorkflow } from '../../src/workflows/index.js';
import {
  agentEntry,
  agentsYaml,
  CaseFailure,
  connectArbiter,
  connectClient,
  dataContract,
  reportSchema,
  seconds,
  startServingWorker,
  unique,
  writeAgents,
  type CaseReport,
  type ChaosEnv,
  type ServingWorker,
} from './harness.js';

/** An http agent that counts how many requests it serves at once, and can hold its answers. */
export interface CountingAgent {
  url: string;
  /** Requests received, in order, with whether the caller went away before the answer. */
  requests: { contractId: string; idempotencyKey: string; aborted: boolean }[];
  inFlight: number;
  maxInFlight: number;
  /** While true, answers wait; `release()` answers them all and every later request at once. */
  holding: boolean;
  release(): void;
  /** Resolves when the agent has received `n` requests in all. */
  received(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startCountingAgent(
  opts: { hold?: boolean; answerAfterMs?: number } = {},
): Promise<CountingAgent> {
  const waiting: (() => void)[] = [];
  const open = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const parsed = JSON.parse(body) as { idempotencyKey: string; contractId: string };
      const record = { contractId: parsed.contractId, idempotencyKey: parsed.idempotencyKey, aborted: false };
      agent.requests.push(record);
      agent.inFlight += 1;
      agent.maxInFlight = Math.max(agent.maxInFlight, agent.inFlight);
      open.add(res);
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        agent.inFlight -= 1;
        open.delete(res);
      };
      res.on('close', () => {
        if (!res.writableFinished) record.aborted = true;
        finish();
      });
      const answer = () => {
        if (res.destroyed) return;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            output: { summary: `done: ${record.contractId}`, criteria: ['lists the metrics'] },
            usage: { inputTokens: 10, outputTokens: 20, costUsd: 0.001 },
          }),
          finish,
        );
      };
      const later = () => setTimeout(answer, opts.answerAfterMs ?? 0);
      if (agent.holding) waiting.push(later);
      else later();
    });
  });
  const agent: CountingAgent = {
    url: '',
    requests: [],
    inFlight: 0,
    maxInFlight: 0,
    holding: opts.hold ?? false,
    release: () => {
      agent.holding = false;
      for (const w of waiting.splice(0)) w();
    },
    received: async (n, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      while (agent.requests.length < n) {
        if (Date.now() > deadline)
          throw new Error(`the agent got ${agent.requests.length} requests, not ${n}`);
        await sleep(50);
      }
    },
    close: () =>
      new Promise((resolve) => {
        for (const res of open) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  agent.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/agent`;
  return agent;
}

/** In batches, so hundreds of promises never pile onto one connection at once. */
async function inBatches<T, R>(items: T[], size: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size)
    out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

/** Polls `queue`'s depth until `enough` says so; returns the samples taken. */
async function watchQueue(
  client: Client,
  queue: string,
  enough: (d: QueueDepth) => boolean,
  timeoutMs: number,
): Promise<QueueDepth[]> {
  const samples: QueueDepth[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await queueDepth(client, queue);
    samples.push(d);
    if (enough(d) || Date.now() > deadline) return samples;
    await sleep(250);
  }
}

/** Serves the case as `arbiter worker` would, and waits until the agent's own queue is polled too. */
async function startWorkerWithPools(
  env: ChaosEnv,
  client: Client,
  opts: { taskQueue: string; agentsFile: string; agentQueue: string },
): Promise<ServingWorker> {
  const serving = await startServingWorker(env, client, opts);
  const polls = await watchQueue(client, opts.agentQueue, (d) => d.pollers > 0, 60_000);
  if ((polls.at(-1)?.pollers ?? 0) === 0) {
    await serving.stop();
    throw new Error(`no worker polls ${opts.agentQueue}`);
  }
  return serving;
}

export async function burstOnLimitedAgent(
  env: ChaosEnv,
  opts: { contracts: number; maxConcurrent?: number; perSecond?: number },
): Promise<CaseReport> {
  const maxConcurrent = opts.maxConcurrent ?? 2;
  const perSecond = opts.perSecond ?? 20;
  const taskQueue = unique('chaos-burst');
  const queue = agentQueue(taskQueue, 'limited');
  // Held until the burst has piled up in the agent's queue, then answering at once.
  const agent = await startCountingAgent({ hold: true });
  const agentsFile = writeAgents(
    agentsYaml(
      agentEntry('limited', `{ kind: http, url: '${agent.url}' }`, {
        // Longer than the hold, so no held call times out and is retried while the burst piles up.
        timeout: '10m',
        limits: `{ maxConcurrent: ${maxConcurrent}, perSecond: ${perSecond} }`,
      }),
    ),
  );
  const { client, connection } = await connectClient(env);
  const arbiter = await connectArbiter(env, taskQueue);
  let serving: { describe: string; stop(): Promise<void> } | undefined;
  try {
    serving = await startWorkerWithPools(env, client, { taskQueue, agentsFile, agentQueue: queue });
    const prefix = unique('burst').slice(0, 40);
    const ids = Array.from({ length: opts.contracts }, (_, i) => `${prefix}-${i}`);
    const t0 = Date.now();
    await inBatches(ids, 50, (id) =>
      arbiter.submitContract(dataContract(id, { outputSchema: reportSchema })),
    );
    env.log(`${ids.length} contracts submitted in ${seconds(Date.now() - t0)}; the agent holds its answers`);
    // Everything beyond the agent's slots waits in its queue: wait until (nearly) all of it shows.
    const waiting = opts.contracts - maxConcurrent;
    const piled = await watchQueue(client, queue, (d) => d.backlog >= waiting, 10 * 60_000);
    const peak = Math.max(...piled.map((d) => d.backlog));
    env.log(
      `backlog ${peak} in ${queue} with ${agent.inFlight} calls in flight at the agent ` +
        `(${seconds(Date.now() - t0)} after the first submission); releasing the agent`,
    );
    const released = Date.now();
    agent.release();
    const draining = watchQueue(client, queue, (d) => d.backlog === 0, 10 * 60_000);
    const settled = await inBatches(ids, 50, async (id) => {
      try {
        const state = await client.workflow.getHandle<typeof contractWorkflow>(`contract/${id}`).result();
        return { id, state };
      } catch (err) {
        const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
        return { id, error: [err, cause].map((e) => (e as Error | undefined)?.message).join(' <- ') };
      }
    });
    const drained = Date.now() - released;
    // The server refreshes its count every few seconds: each distinct value once.
    const drainPath = (await draining)
      .map((d) => d.backlog)
      .filter((b, i, all) => b !== all[i - 1])
      .join(' → ');
    const succeeded = settled.filter((s) => s.state?.outcome === 'SUCCEEDED');
    const distinctKeys = new Set(agent.requests.map((r) => r.idempotencyKey)).size;
    env.log(
      `${succeeded.length}/${ids.length} SUCCEEDED, ${seconds(drained)} after release; the agent saw at most ` +
        `${agent.maxInFlight} requests at once, ${agent.requests.length} in all (${distinctKeys} keys); ` +
        `backlog while draining: ${drainPath}`,
    );
    assert.ok(
      agent.maxInFlight <= maxConcurrent,
      `the agent saw ${agent.maxInFlight} requests at once, more than maxConcurrent ${maxConcurrent}`,
    );
    assert.ok(peak >= waiting, `the backlog showed ${peak}, expected the ${waiting} waiting calls`);
    if (succeeded.length !== ids.length) {
      const bad = settled.filter((s) => !succeeded.includes(s));
      throw new CaseFailure(
        `${bad.length}/${ids.length} contracts did not succeed (first: contract/${bad[0]?.id ?? '-'}: ` +
          `${bad[0]?.error ?? bad[0]?.state?.outcome ?? '-'})`,
        bad.filter((s) => s.error !== undefined).length,
      );
    }
    return {
      fault: `burst of ${opts.contracts} contracts at an http agent limited to ${maxConcurrent} at once, ${perSecond}/s`,
      result: `${succeeded.length}/${ids.length} SUCCEEDED; the agent never saw more than ${agent.maxInFlight} at once`,
      figures: {
        contracts: ids.length,
        'max concurrent requests at the agent': agent.maxInFlight,
        'peak backlog in the agent queue': peak,
        'agent calls / distinct keys': `${agent.requests.length} / ${distinctKeys}`,
        'backlog while draining': drainPath,
        'release → all completed': seconds(drained),
        'drain rate': `${((ids.length * 1000) / drained).toFixed(1)} contracts/s`,
      },
      contractsLost: ids.length - succeeded.length,
    };
  } finally {
    agent.release();
    await serving?.stop();
    await arbiter.close();
    await connection.close();
    await agent.close();
  }
}
