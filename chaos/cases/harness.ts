// Shared machinery for the fault suite: real worker processes (`node bin/arbiter.js worker`), a
// local http agent that records every idempotency key, poller checks and small builders. Used by
// chaos/run.ts (its own dev server) and test/chaos/*.test.ts (the suite's shared server).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import proto from '@temporalio/proto';
import { Arbiter } from '../../src/client.js';
import { loadConfig, type Config } from '../../src/config/settings.js';
import { createAgentPools, runWithPools } from '../../src/runtime/agentPools.js';
import { connectWorker, createWorker } from '../../src/worker.js';
import type { Contract } from '../../src/shared/contract.js';
import { Contract as ContractSchema } from '../../src/shared/contract.js';

const { temporal } = proto;

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Where a case runs: a server address, and a sink for what it did. */
export interface ChaosEnv {
  address: string;
  log: (line: string) => void;
  /**
   * With a prebuilt workflow bundle, cases whose fault is not the worker itself run their worker
   * in-process (starts in about a second, for `npm test`); without it, as `arbiter worker` processes.
   */
  workflowBundle?: { codePath: string };
}

/** What a case reports: a one-line result and the figures for docs/reliability.md. */
export interface CaseReport {
  fault: string;
  result: string;
  figures: Record<string, string | number>;
  contractsLost: number;
}

/** A case that failed with contracts that ended without an outcome (their workflow failed). */
export class CaseFailure extends Error {
  constructor(
    message: string,
    readonly withoutOutcome: number,
  ) {
    super(message);
  }
}

let seq = 0;
/** A unique suffix for task queues and workflow ids (ids are never reused across runs). */
export const unique = (prefix: string): string =>
  `${prefix}-${process.pid}-${(seq += 1)}-${Date.now().toString(36)}`;

export const tempDir = (prefix: string): string => mkdtempSync(join(tmpdir(), `arbiter-chaos-${prefix}-`));

export function writeAgents(yaml: string): string {
  const file = join(tempDir('agents'), 'agents.yaml');
  writeFileSync(file, yaml);
  return file;
}

/** One agents.yaml entry; `endpoint` is YAML flow syntax. */
export const agentEntry = (id: string, endpoint: string, extra: Record<string, string> = {}): string =>
  [
    `  - id: ${id}`,
    `    description: chaos agent ${id}`,
    '    capabilities: { domains: [data, general] }',
    `    endpoint: ${endpoint}`,
    ...Object.entries(extra).map(([k, v]) => `    ${k}: ${v}`),
  ].join('\n');

export const agentsYaml = (...entries: string[]): string => `agents:\n${entries.join('\n')}\n`;

/** A contract the default rules classify as `data` (policy: capability-match → AGENT). */
export const dataContract = (id: string, over: Partial<Contract> = {}): Contract =>
  ContractSchema.parse({
    id,
    title: 'Engagement metrics dashboard',
    objective: 'Design the analytics dashboard and its metrics for engagement data.',
    acceptanceCriteria: ['lists the metrics'],
    ...over,
  });

/** The Config a client needs for a task queue on this server (same shape the CLI builds). */
export function configFor(env: ChaosEnv, taskQueue: string, dataDir = tempDir('data')): Config {
  return loadConfig(
    { TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: taskQueue, ARBITER_DATA_DIR: dataDir },
    repoRoot,
  );
}

export async function connectClient(env: ChaosEnv): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect({ address: env.address });
  return { client: new Client({ connection }), connection };
}

export async function connectArbiter(env: ChaosEnv, taskQueue: string): Promise<Arbiter> {
  return Arbiter.connect(configFor(env, taskQueue));
}

// ---------------------------------------------------------------------------------------------
// Worker processes

export interface WorkerProcess {
  pid: number;
  identity: string;
  child: ChildProcess;
  /** Resolves with the exit code and signal once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  output(): string;
  kill(signal: NodeJS.Signals): void;
}

/** Every worker process a case started, so a failing case still cleans up after itself. */
const live = new Set<WorkerProcess>();

export interface WorkerOptions {
  taskQueue: string;
  agentsFile: string;
  dataDir?: string;
  /** More environment for the process (agent secrets, host allowlist, …). */
  env?: Record<string, string>;
}

export function startWorker(env: ChaosEnv, opts: WorkerOptions): WorkerProcess {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/arbiter.js'), 'worker'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: opts.taskQueue,
      ARBITER_AGENTS: opts.agentsFile,
      ARBITER_DATA_DIR: opts.dataDir ?? tempDir('data'),
      ARBITER_LOG_LEVEL: 'WARN',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('could not start a worker process');
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const w: WorkerProcess = {
    pid: child.pid,
    identity: `${child.pid}@${hostname()}`,
    child,
    exited: new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        live.delete(w);
        resolve({ code, signal, at: Date.now() });
      }),
    ),
    output: () => out,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
  live.add(w);
  env.log(`started worker pid ${w.pid} on queue ${opts.taskQueue}`);
  return w;
}

const inProcess = new Set<{ stop(): Promise<void> }>();

/** SIGKILLs every worker process this module started and still runs; stops in-process workers. */
export async function killAllStartedWorkers(): Promise<void> {
  await Promise.all([...inProcess].map((w) => w.stop()));
  const all = [...live];
  for (const w of all) w.kill('SIGKILL');
  await Promise.all(all.map((w) => w.exited));
}

/** Waits until this worker process polls both the workflow and the activity task queue. */
export async function waitForPoller(
  client: Client,
  taskQueue: string,
  worker: WorkerProcess,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const types = [
    temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  ];
  while (Date.now() < deadline) {
    if (worker.child.exitCode !== null || worker.child.signalCode !== null) {
      throw new Error(`worker ${worker.pid} exited before polling:\n${worker.output().slice(-2000)}`);
    }
    const seen = await Promise.all(
      types.map(async (taskQueueType) => {
        const res = await client.workflowService.describeTaskQueue({
          namespace: 'default',
          taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
          taskQueueType,
        });
        return (res.pollers ?? []).some((p) => p.identity === worker.identity);
      }),
    );
    if (seen.every(Boolean)) return;
    await sleep(200);
  }
  throw new Error(`worker ${worker.pid} did not poll ${taskQueue} within ${timeoutMs} ms`);
}

export async function startPollingWorker(
  env: ChaosEnv,
  client: Client,
  opts: WorkerOptions,
): Promise<WorkerProcess> {
  const t0 = Date.now();
  const w = startWorker(env, opts);
  await waitForPoller(client, opts.taskQueue, w);
  env.log(`worker pid ${w.pid} polls (${Date.now() - t0} ms after start)`);
  return w;
}

/** Installs a quiet SDK runtime for in-process workers, unless this process already has one. */
export function ensureRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // Already installed (a test helper or an earlier case did): keep it.
  }
}

/** A worker that serves a case and is stopped at its end. */
export interface ServingWorker {
  describe: string;
  /** Whether it still runs (it has not exited or failed). */
  alive(): boolean;
  stop(): Promise<void>;
}

/**
 * A worker for a case whose fault is elsewhere: in-process (with its agent pools) when
 * `env.workflowBundle` is set, otherwise an `arbiter worker` process. Either way it polls before
 * this returns.
 */
export async function startServingWorker(
  env: ChaosEnv,
  client: Client,
  opts: { taskQueue: string; agentsFile: string },
): Promise<ServingWorker> {
  if (!env.workflowBundle) {
    const w = await startPollingWorker(env, client, opts);
    return {
      describe: `worker process ${w.pid}`,
      alive: () => w.child.exitCode === null && w.child.signalCode === null,
      stop: async () => {
        w.kill('SIGTERM');
        await w.exited;
      },
    };
  }
  ensureRuntime();
  const config = { ...configFor(env, opts.taskQueue), agentsFile: opts.agentsFile };
  const connection = await connectWorker(config);
  const worker = await createWorker({ config, workflowBundle: env.workflowBundle }, connection);
  // As `arbiter worker` does: agents with limits are served by pools beside the worker.
  const pools = await createAgentPools({ config }, connection);
  const running = runWithPools(worker, pools);
  env.log(
    `in-process worker polls ${opts.taskQueue}` +
      (pools.length ? `; agent pools poll ${pools.map((p) => p.queue).join(', ')}` : ''),
  );
  let stopped: Promise<void> | undefined;
  const serving: ServingWorker = {
    describe: 'in-process worker',
    alive: () => worker.getState() === 'RUNNING',
    stop: () =>
      (stopped ??= (async () => {
        inProcess.delete(serving);
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running.catch(() => undefined);
        await connection.close();
      })()),
  };
  inProcess.add(serving);
  return serving;
}

// ---------------------------------------------------------------------------------------------
// A local http agent (SPEC §2): POST {contractId, idempotencyKey, contract, input}

export interface AgentRequest {
  n: number;
  idempotencyKey: string;
  contractId: string;
  at: number;
  /** Set when the caller went away before an answer (its worker died or cancelled it). */
  aborted?: boolean;
}

export type AgentBehaviour = (
  req: AgentRequest,
) => { status?: number; body: unknown } | 'hold' | Promise<{ status?: number; body: unknown } | 'hold'>;

export interface HttpAgent {
  url: string;
  requests: AgentRequest[];
  /** Resolves when the agent has received `n` requests in all. */
  received(n: number, timeoutMs?: number): Promise<AgentRequest>;
  /** Called right after an answer was written in full. */
  onAnswered?: (req: AgentRequest) => void;
  close(): Promise<void>;
}

export async function startHttpAgent(behaviour: AgentBehaviour): Promise<HttpAgent> {
  const requests: AgentRequest[] = [];
  const waiters: { n: number; resolve: (r: AgentRequest) => void }[] = [];
  const held = new Set<ServerResponse>();
  const agent: HttpAgent = {
    url: '',
    requests,
    received: (n, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const r = requests[n - 1];
        if (r) return resolve(r);
        const timer = setTimeout(
          () => reject(new Error(`the http agent got ${requests.length} requests, not ${n}`)),
          timeoutMs,
        );
        waiters.push({
          n,
          resolve: (x) => {
            clearTimeout(timer);
            resolve(x);
          },
        });
      }),
    close: () =>
      new Promise((resolve) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const parsed = JSON.parse(body) as { idempotencyKey: string; contractId: string };
      const record: AgentRequest = {
        n: requests.length + 1,
        idempotencyKey: parsed.idempotencyKey,
        contractId: parsed.contractId,
        at: Date.now(),
      };
      requests.push(record);
      for (const w of waiters.filter((x) => x.n <= requests.length)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(requests[w.n - 1]!);
      }
      res.on('close', () => {
        held.delete(res);
        if (!res.writableFinished) record.aborted = true;
      });
      void Promise.resolve(behaviour(record)).then((answer) => {
        if (answer === 'hold') {
          held.add(res);
          return;
        }
        const text = JSON.stringify(answer.body);
        res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
        res.end(text, () => agent.onAnswered?.(record));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  agent.url = `http://127.0.0.1:${port}/agent`;
  return agent;
}

/** A well-formed answer that satisfies `reportSchema`. */
export const goodAnswer = (req: AgentRequest) => ({
  body: {
    output: { summary: `done: ${req.contractId}`, criteria: ['lists the metrics'] },
    usage: { inputTokens: 10, outputTokens: 20, costUsd: 0.001 },
  },
});

export const reportSchema: NonNullable<Contract['outputSchema']> = {
  type: 'object',
  required: ['summary', 'criteria'],
  properties: { summary: { type: 'string' }, criteria: { type: 'array' } },
};

/** Every distinct key once, in order of first appearance. */
export const distinct = (xs: string[]): string[] => [...new Set(xs)];

/** The number of times each activity type was started (attempts) in a workflow's history. */
export async function activityStarts(client: Client, workflowId: string): Promise<Record<string, number>> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const typeOf = new Map<number, string>();
  const counts: Record<string, number> = {};
  for (const e of history.events ?? []) {
    const sched = e.activityTaskScheduledEventAttributes;
    if (sched) typeOf.set(Number(e.eventId), sched.activityType?.name ?? '?');
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      const name = typeOf.get(Number(started.scheduledEventId)) ?? '?';
      // A started event carries the final attempt number of that activity.
      counts[name] = Math.max(counts[name] ?? 0, started.attempt ?? 1);
    }
  }
  return counts;
}

/** Workflow task failures in a history whose cause is non-determinism. */
export async function nondeterminismFailures(client: Client, workflowId: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).filter((e) => {
    const f = e.workflowTaskFailedEventAttributes;
    return (
      f !== null &&
      f !== undefined &&
      (f.cause ===
        temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR ||
        /nondetermin/i.test(f.failure?.message ?? ''))
    );
  }).length;
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
