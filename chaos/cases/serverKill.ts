// Take a part of the Temporal service down in the middle of a plan and bring it back on the same
// port and data: the dev server (kill -9, SQLite history), or one part of a production-shape cluster
// (the history or matching service, PostgreSQL). The worker reconnects by itself and the plan
// completes, every contract once.
import type { ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Plan as PlanSchema } from '../../src/shared/contract.js';
import type { PlanState } from '../../src/shared/plan.js';
import {
  agentEntry,
  agentsYaml,
  connectArbiter,
  connectClient,
  distinct,
  goodAnswer,
  seconds,
  startHttpAgent,
  startServingWorker,
  unique,
  writeAgents,
  type CaseReport,
  type ChaosEnv,
} from './harness.js';

/** A part of the Temporal service the case takes down and brings back. */
export interface RestartableServer {
  /** The fault, as the report names it: "kill -9 the history service". */
  fault: string;
  /** Inflicts the fault; resolves once the part is down, with what was done (for the log). */
  kill(): Promise<string>;
  /** Starts the part again on the same port and data; resolves once it serves, with what it is. */
  restart(): Promise<string>;
}

/** The dev server as the part taken down: SIGKILL, then started again on the same port and file. */
export function devServerFault(server: {
  current(): { process: ChildProcess };
  restart(): Promise<{ process: ChildProcess }>;
}): RestartableServer {
  return {
    fault: 'kill -9 the Temporal dev server (SQLite)',
    kill: async () => {
      const old = server.current();
      const gone = new Promise((r) => old.process.once('exit', r));
      old.process.kill('SIGKILL');
      await gone;
      return `killed the dev server, pid ${old.process.pid}`;
    },
    restart: async () => `dev server restarted, pid ${(await server.restart()).process.pid}`,
  };
}

export async function killServerMidPlan(
  env: ChaosEnv,
  server: RestartableServer,
  opts: { contracts?: number; downMs?: number } = {},
): Promise<CaseReport> {
  const n = opts.contracts ?? 8;
  const taskQueue = unique('chaos-server');
  // Each agent call takes 300 ms, so the plan is mid-flight for a while.
  const agent = await startHttpAgent(async (req) => {
    await sleep(300);
    return goodAnswer(req);
  });
  const agentsFile = writeAgents(
    agentsYaml(agentEntry('remote', `{ kind: http, url: '${agent.url}' }`, { timeout: '5s' })),
  );
  const planId = unique('srv').slice(0, 60);
  const plan = PlanSchema.parse({
    id: planId,
    title: 'Dashboards through a server crash',
    maxParallel: 2,
    contracts: Array.from({ length: n }, (_, i) => ({
      id: `c${i}`,
      title: `Engagement metrics dashboard ${i}`,
      objective: 'Design the analytics dashboard and its metrics for engagement data.',
      // A chain in pairs: c2 after c0, c3 after c1, …, so the plan has depth.
      ...(i >= 2 ? { dependsOn: [`c${i - 2}`] } : {}),
    })),
  });
  const { client, connection } = await connectClient(env);
  let arbiter = await connectArbiter(env, taskQueue);
  try {
    const w = await startServingWorker(env, client, { taskQueue, agentsFile });
    await arbiter.submitPlan(plan);
    await agent.received(Math.ceil(n / 2));
    env.log(`${agent.requests.length} agent calls so far; ${server.fault}`);
    const killedAt = Date.now();
    env.log(await server.kill());
    await sleep(opts.downMs ?? 3000);
    const fresh = await server.restart();
    const upAt = Date.now();
    env.log(`${fresh}, on the same port and data, after ${upAt - killedAt} ms`);
    await arbiter.close().catch(() => undefined);
    arbiter = await connectArbiter(env, taskQueue);
    const state = (await arbiter.result(planId)) as PlanState;
    const recovered = Date.now() - upAt;
    const workerAlive = w.alive();
    await w.stop();
    const keys = agent.requests.map((r) => r.idempotencyKey);
    const repeats = keys.length - distinct(keys).length;
    env.log(
      `plan ${state.status}: ${state.nodes.filter((x) => x.status === 'succeeded').length}/${n} succeeded; ` +
        `${keys.length} agent calls for ${distinct(keys).length} steps (${repeats} retried with the same key)`,
    );
    assert.ok(workerAlive, 'the worker survived the server outage without a restart');
    assert.equal(state.status, 'completed');
    assert.deepEqual(
      state.nodes.map((x) => x.status),
      Array.from({ length: n }, () => 'succeeded'),
    );
    assert.equal(distinct(keys).length, n, 'one idempotency key per contract: no step ran as new work twice');
    const contracts = await Promise.all(state.nodes.map((x) => arbiter.contractResult(x.workflowId)));
    for (const c of contracts) {
      assert.equal(c.attempts.filter((a) => a.ok).length, 1, `${c.workflowId}: one recorded success`);
    }
    return {
      fault: `${server.fault} mid-plan, restart on the same port and data`,
      result: `plan ${state.status}, ${n}/${n} contracts SUCCEEDED; worker reconnected on its own`,
      figures: {
        'server down': seconds(upAt - killedAt),
        'restart → plan completed': seconds(recovered),
        'agent calls / steps': `${keys.length} / ${distinct(keys).length}`,
        'calls repeated with the same key': repeats,
      },
      contractsLost: n - state.nodes.filter((x) => x.status === 'succeeded').length,
    };
  } finally {
    await arbiter.close().catch(() => undefined);
    await connection.close().catch(() => undefined);
    await agent.close();
  }
}
