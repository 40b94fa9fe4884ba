// Arbiter on the production-shape cluster `npm run cluster` runs: Temporal 1.32.2 as four separate
// service processes on PostgreSQL with SQL advanced visibility, and `arbiter worker` processes.
// The core of the fault suite (chaos/cases) runs against it — a worker, the history service, the
// matching service and PostgreSQL each taken down mid-run — plus a duplicate submission, a
// 1,000-contract plan, and the CLI's read commands and visibility queries. Every contract must end
// with exactly one outcome: none lost, none run twice.
//
// This file is the only one that starts a cluster. It builds the server once into .tools (or waits
// for the build `npm test`'s setup started in the background) and stops everything it started in
// afterAll; a watcher process stops it too if this process dies.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { layeredDag } from '../../bench/stats.js';
import { killServerMidPlan, type RestartableServer } from '../../chaos/cases/serverKill.js';
import { killWorkerDuringAgentCall } from '../../chaos/cases/workerKill.js';
import { duplicatePlanSubmission } from '../../chaos/cases/duplicatePlan.js';
import { killAllStartedWorkers } from '../../chaos/cases/harness.js';
import { startCluster, type Cluster } from '../../scripts/cluster/cluster.js';
import { tail } from '../../scripts/cluster/processes.js';
import { SERVER_CONFIG_FILE, type ServiceName } from '../../scripts/cluster/spec.js';
import { Arbiter } from '../../src/client.js';
import { loadConfig } from '../../src/config/settings.js';
import { Plan as PlanSchema } from '../../src/shared/contract.js';
import type { ContractState } from '../../src/shared/decision.js';
import type { PlanState } from '../../src/shared/plan.js';
import { runCase } from '../chaos/env.js';
import { arbiter } from '../support/cli.js';
import { repoFile } from '../support/temporal.js';

const MINUTE = 60_000;
let cluster: Cluster;
let connection: Connection;
let client: Client;
const setupLog: string[] = [];

beforeAll(async () => {
  try {
    cluster = await startCluster({
      dataDir: mkdtempSync(join(tmpdir(), 'arbiter-cluster-')),
      workers: 2,
      log: (line) => setupLog.push(line),
      stopWhenOwnerDies: { purge: true },
    });
  } catch (err) {
    (err as Error).message += `\n--- what the cluster start did:\n${setupLog.join('\n')}`;
    throw err;
  }
  connection = await Connection.connect({ address: cluster.address });
  client = new Client({ connection, namespace: cluster.namespace });
  // A build on a fresh machine takes minutes; on a loaded CI machine, more.
}, 25 * MINUTE);

afterAll(async () => {
  await killAllStartedWorkers();
  await connection?.close();
  await cluster?.stop({ purge: true });
}, 2 * MINUTE);

/** A part of the cluster the server-kill case takes down and brings back. */
function service(name: ServiceName): RestartableServer {
  return {
    fault: `kill -9 the ${name} service`,
    kill: async () => {
      const pid = cluster.services[name].pid;
      await cluster.killService(name);
      return `killed the ${name} service, pid ${pid}`;
    },
    restart: async () => `${name} service restarted, pid ${(await cluster.restartService(name)).pid}`,
  };
}

const postgres: RestartableServer = {
  fault:
    'crash-stop PostgreSQL (pg_ctl stop -m immediate: every process exits at once, WAL replayed on start)',
  kill: async () => {
    const pid = cluster.postmasterPid();
    await cluster.stopPostgres('immediate');
    return `PostgreSQL (postmaster pid ${pid}) stopped immediately`;
  },
  restart: async () => {
    await cluster.startPostgres();
    return `PostgreSQL restarted, postmaster pid ${cluster.postmasterPid()}`;
  },
};

/** Polls a visibility count until it reaches `want` (SQL visibility is written asynchronously). */
async function countReaches(query: string, want: number, timeoutMs = 2 * MINUTE): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { count } = await client.workflow.count(query);
    if (count >= want || Date.now() > deadline) return count;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function listIds(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of client.workflow.list({ query })) ids.push(wf.workflowId);
  return ids;
}

/**
 * `work`, unless every `arbiter worker` process of the cluster exits first: then nothing can finish
 * it, and the test fails at once with what the workers printed, instead of at its timeout.
 */
async function untilNoWorkerIsLeft<T>(work: Promise<T>): Promise<T> {
  const allGone = Promise.all(cluster.workers.map((w) => w.process.exited)).then(() => {
    const logs = cluster.workers.map(
      (w) => `${w.process.name} (pid ${w.process.pid}):\n${tail(w.process.logFile, 20)}`,
    );
    throw new Error(`every arbiter worker process of the cluster exited:\n${logs.join('\n')}`);
  });
  return Promise.race([work, allGone]);
}

describe('the cluster', () => {
  it('runs the four Temporal services as separate processes on PostgreSQL, with the namespace and search attributes', async () => {
    const pids = Object.values(cluster.services).map((s) => s.pid);
    expect(new Set(pids).size).toBe(4);
    expect(Object.values(cluster.services).every((s) => s.running())).toBe(true);
    const tables = await cluster.query(
      'temporal',
      "select count(*) from pg_tables where tablename = 'executions'",
    );
    expect(tables).toBe('1');
    const sa = await connection.operatorService.listSearchAttributes({ namespace: cluster.namespace });
    expect(Object.keys(sa.customAttributes ?? {})).toEqual(
      expect.arrayContaining(['ArbiterRoute', 'ArbiterPlan', 'ArbiterOutcome', 'ArbiterCostUsd']),
    );
    // The shard count the config fixes is the one the cluster was created with.
    const shards = await cluster.query('temporal', 'select count(*) from shards');
    expect(shards).toBe('16');
  });

  it("renders the compose twin's environment with the same config file, through the real server", () => {
    const compose = parse(readFileSync(repoFile('docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { environment: Record<string, string> }>;
    };
    const env = compose.services.temporal?.environment ?? {};
    const r = spawnSync(
      cluster.tools.server,
      ['--config', repoFile(SERVER_CONFIG_FILE.replace(/\/[^/]+$/, '')), '--env', 'cluster', 'render-config'],
      { encoding: 'utf8', env: { PATH: process.env.PATH, ...env, BIND_ON_IP: '172.18.0.5' } },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.match(/connectAddr: postgresql:5432/g)).toHaveLength(2);
    expect(r.stdout).toMatch(/numHistoryShards: 16/);
    expect(r.stdout).toMatch(/rpcAddress: temporal:7233/);
    expect(r.stdout).not.toContain(env.POSTGRES_PWD ? `password: ${env.POSTGRES_PWD}` : 'password: ');
  });
});

describe('arbiter commands against SQL visibility', () => {
  const cli = (args: string[]) =>
    arbiter(args, {
      TEMPORAL_ADDRESS: cluster.address,
      ARBITER_DATA_DIR: mkdtempSync(join(tmpdir(), 'arbiter-cluster-cli-')),
      ARBITER_REVIEWER: 'alice',
    });
  const id = `forecast-${Date.now().toString(36)}`;

  it('submit twice starts one run; reviews, status and the ArbiterRoute query list the waiting contract', async () => {
    const file = repoFile('examples/contracts/quarterly-forecast.yaml');
    const [first, second] = [
      await cli(['submit', '--file', file, '--id', id, '--json']),
      await cli(['submit', '--file', file, '--id', id, '--json']),
    ];
    expect(first.code, first.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ workflowId: `contract/${id}`, started: true });
    expect(JSON.parse(second.stdout)).toMatchObject({ workflowId: `contract/${id}`, started: false });

    const query = `ArbiterRoute = "HUMAN_REVIEW" AND ArbiterDomain = "finance" AND WorkflowId = "contract/${id}"`;
    expect(await countReaches(query, 1)).toBe(1);
    const reviews = await cli(['reviews', '--json']);
    expect(reviews.code, reviews.stderr).toBe(0);
    const items = JSON.parse(reviews.stdout) as { workflowId: string; why: string[] }[];
    expect(items.map((r) => r.workflowId)).toContain(`contract/${id}`);
    expect(items.find((r) => r.workflowId === `contract/${id}`)?.why.join(' ')).toContain(
      'regulated-low-confidence',
    );

    const status = await cli(['status', id, '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      workflowId: `contract/${id}`,
      decision: { route: 'HUMAN_REVIEW', policyIds: ['regulated-low-confidence'] },
    });
  });

  it('approve runs it; audit shows the whole trail; metrics count it from visibility', async () => {
    const approve = await cli(['approve', id, '--reason', 'numbers checked']);
    expect(approve.code, approve.stderr).toBe(0);
    const audit = await cli(['audit', id]);
    expect(audit.code, audit.stderr).toBe(0);
    for (const step of ['classify', 'policy', 'review', 'select', 'execute', 'validate', 'outcome']) {
      expect(audit.stdout).toContain(step);
    }
    expect(audit.stdout).toContain('approve by alice');
    expect(audit.stdout).toContain('SUCCEEDED');

    expect(await countReaches(`WorkflowId = "contract/${id}" AND ArbiterOutcome = "SUCCEEDED"`, 1)).toBe(1);
    const metrics = await cli(['metrics', '--json']);
    expect(metrics.code, metrics.stderr).toBe(0);
    const m = JSON.parse(metrics.stdout) as { contracts: number; outcomes: Record<string, number> };
    expect(m.contracts).toBeGreaterThanOrEqual(1);
    expect(m.outcomes.SUCCEEDED).toBe(m.contracts);
    expect(await listIds(`ArbiterRoute = "HUMAN_REVIEW" AND ExecutionStatus = "Completed"`)).toContain(
      `contract/${id}`,
    );
  });
});

describe('faults on the cluster: every contract ends once', () => {
  const address = () => cluster.address;
  // A worker the fault does not hit runs in this process (the suite's bundle): the same worker code
  // as `arbiter worker`, without bundling the workflows again for each case. The worker that is
  // killed is always an `arbiter worker` process.
  const inProcessWorkers = true;

  it(
    'kill -9 of a worker during an agent call: another worker completes it with the same idempotency key',
    async () => {
      const report = await runCase(killWorkerDuringAgentCall, { address: address(), inProcessWorkers });
      expect(report.figures['distinct idempotency keys']).toBe(1);
      expect(report.figures['recorded attempts']).toBe(1);
    },
    5 * MINUTE,
  );

  it(
    'kill -9 of the history service mid-plan, then its restart: the plan completes, each contract once',
    async () => {
      const report = await runCase((env) => killServerMidPlan(env, service('history')), {
        address: address(),
        inProcessWorkers,
      });
      expect(report.contractsLost).toBe(0);
      expect(report.result).toMatch(/8\/8 contracts SUCCEEDED/);
    },
    5 * MINUTE,
  );

  it(
    'kill -9 of the matching service mid-plan, then its restart: the plan completes, each contract once',
    async () => {
      const report = await runCase((env) => killServerMidPlan(env, service('matching')), {
        address: address(),
        inProcessWorkers,
      });
      expect(report.contractsLost).toBe(0);
      expect(report.result).toMatch(/8\/8 contracts SUCCEEDED/);
    },
    5 * MINUTE,
  );

  it(
    'PostgreSQL crash-stopped mid-plan, then restarted: the plan completes, each contract once',
    async () => {
      const report = await runCase((env) => killServerMidPlan(env, postgres), {
        address: address(),
        inProcessWorkers,
      });
      expect(report.contractsLost).toBe(0);
      expect(report.result).toMatch(/8\/8 contracts SUCCEEDED/);
    },
    5 * MINUTE,
  );

  it(
    'the same plan id submitted concurrently starts exactly one run',
    async () => {
      const report = await runCase((env) => duplicatePlanSubmission(env, 4), {
        address: address(),
        inProcessWorkers,
      });
      expect(report.figures['started: true']).toBe(1);
    },
    5 * MINUTE,
  );
});

describe('a 1,000-contract plan on the cluster', () => {
  it(
    'every contract succeeds exactly once, and SQL visibility lists each once',
    async () => {
      const n = 1000;
      const planId = `cluster-1k-${Date.now().toString(36)}`;
      const plan = PlanSchema.parse({
        id: planId,
        title: 'A thousand dashboards on the cluster',
        maxParallel: 100,
        contracts: layeredDag(n, 5, 19, 2).map((x) => ({
          id: x.id,
          title: `Engagement metrics dashboard ${x.id}`,
          objective: 'Design the analytics dashboard and its metrics for engagement data.',
          dependsOn: x.dependsOn,
        })),
      });
      const a = await Arbiter.connect(
        loadConfig(
          { TEMPORAL_ADDRESS: cluster.address, TEMPORAL_TASK_QUEUE: cluster.taskQueue },
          repoFile(''),
        ),
      );
      try {
        const submitted = await a.submitPlan(plan);
        expect(submitted.started).toBe(true);
        const state = (await untilNoWorkerIsLeft(a.result(planId))) as PlanState;
        expect(state.status).toBe('completed');
        expect(state.nodes).toHaveLength(n);
        expect(state.nodes.filter((x) => x.status !== 'succeeded')).toEqual([]);

        // Each contract's own record: one outcome in its trail.
        const outcomes: number[] = [];
        for (let i = 0; i < n; i += 50) {
          const batch = state.nodes.slice(i, i + 50);
          const states = await Promise.all(batch.map((x) => a.contractResult(x.workflowId)));
          outcomes.push(
            ...states.map((s: ContractState) => s.trail.filter((e) => e.step === 'outcome').length),
          );
        }
        expect(outcomes.filter((k) => k !== 1)).toEqual([]);

        // Visibility has every child once: 1,000 runs, 1,000 distinct ids, all SUCCEEDED.
        const inPlan = `ArbiterPlan = "${planId}" AND WorkflowType = "contractWorkflow"`;
        expect(await countReaches(`${inPlan} AND ArbiterOutcome = "SUCCEEDED"`, n)).toBe(n);
        const ids = await listIds(inPlan);
        expect(ids).toHaveLength(n);
        expect(new Set(ids).size).toBe(n);
      } finally {
        await a.close();
      }
    },
    15 * MINUTE,
  );
});
