// The Temporal server's services as separate processes of one binary, with the repo's config, and
// the checks that say a service is really serving: the frontend answers, history answers a lookup
// (NotFound is an answer), matching describes a task queue. Then the namespace and Arbiter's search
// attributes, the way a cluster operator registers them.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import { ensureSearchAttributes } from '../../src/embedded/searchAttributes.js';
import { SEARCH_ATTRIBUTES } from '../../src/shared/constants.js';
import { startProcess, tail, type Started } from './processes.js';
import {
  RETENTION_HOURS,
  SERVER_CONFIG_FILE,
  SERVICE_PORT_VARS,
  SQL_PLUGIN,
  type ServiceName,
} from './spec.js';
import { repoRoot, type ServerTools } from './build.mjs';

const { TaskQueueKind, TaskQueueType } = proto.temporal.api.enums.v1;

export interface Database {
  port: number;
  user: string;
  password: string;
}

/** gRPC status codes the checks tell apart. */
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;

const grpcCode = (err: unknown): number | undefined => (err as { code?: number }).code;

/** The environment cluster.yaml is rendered with, for every service process. */
export function serverEnv(db: Database, ports: Record<string, number>): NodeJS.ProcessEnv {
  // Only what the server needs: none of the caller's settings or secrets reach it.
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    TEMPORAL_SERVER_CONFIG_FILE_PATH: join(repoRoot, SERVER_CONFIG_FILE),
    TEMPORAL_ALLOW_NO_AUTH: 'true',
    BIND_ON_IP: '127.0.0.1',
    POSTGRES_SEEDS: '127.0.0.1',
    DB_PORT: String(db.port),
    POSTGRES_USER: db.user,
    POSTGRES_PWD: db.password,
    ...Object.fromEntries(
      Object.values(SERVICE_PORT_VARS)
        .flat()
        .map((name) => [name, String(ports[name])]),
    ),
  };
}

export const serviceProcessName = (name: ServiceName) => `temporal-${name}`;

export function startService(
  tools: ServerTools,
  dataDir: string,
  name: ServiceName,
  env: NodeJS.ProcessEnv,
): Started {
  return startProcess(dataDir, serviceProcessName(name), tools.server, ['start', '--service', name], { env });
}

/** Applies the schema steps with the SQL tool, against the cluster's PostgreSQL. */
export async function applySchema(tools: ServerTools, db: Database, steps: string[][]): Promise<void> {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    SQL_PLUGIN,
    SQL_HOST: '127.0.0.1',
    SQL_PORT: String(db.port),
    SQL_USER: db.user,
    SQL_PASSWORD: db.password,
  };
  for (const args of steps) {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(tools.sqlTool, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0
          ? resolve()
          : reject(
              new Error(`temporal-sql-tool ${args.join(' ')} exited ${code}:\n${out.trim().slice(-2000)}`),
            ),
      );
    });
  }
}

/** Polls `check` until it holds, failing early when a process it depends on has exited. */
async function until(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; processes?: Started[] },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: unknown;
  for (;;) {
    const dead = (opts.processes ?? []).find((p) => !p.running());
    if (dead) throw new Error(`${dead.name} exited while waiting for ${what}:\n${tail(dead.logFile)}`);
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what} not within ${opts.timeoutMs / 1000} s${last ? `: ${(last as Error).message}` : ''}`,
      );
    }
    await sleep(250);
  }
}

/** Waits until the cluster's record is in the database (`count` runs the SQL that counts it). */
export async function waitForClusterRecord(
  count: () => Promise<string>,
  processes: Started[],
): Promise<void> {
  await until('the cluster record in PostgreSQL', async () => Number(await count()) > 0, {
    timeoutMs: 90_000,
    processes,
  });
}

/** A client connection to the frontend once it answers. */
export async function connectFrontend(
  address: string,
  processes: Started[],
  timeoutMs = 90_000,
): Promise<Connection> {
  let connection: Connection | undefined;
  await until(
    `the frontend at ${address}`,
    async () => {
      connection ??= await Connection.connect({ address, connectTimeout: '2s' });
      await connection.withDeadline(Date.now() + 3000, () => connection!.workflowService.getSystemInfo({}));
      return true;
    },
    { timeoutMs, processes },
  );
  return connection!;
}

/** History answers when a lookup of a workflow that does not exist comes back NotFound. */
export async function waitForHistory(
  connection: Connection,
  namespace: string,
  processes: Started[],
  timeoutMs = 90_000,
): Promise<void> {
  await until(
    'the history service',
    async () => {
      try {
        await connection.withDeadline(Date.now() + 3000, () =>
          connection.workflowService.describeWorkflowExecution({
            namespace,
            execution: { workflowId: `arbiter-cluster-probe-${Date.now()}` },
          }),
        );
        return true;
      } catch (err) {
        if (grpcCode(err) === NOT_FOUND) return true;
        throw err;
      }
    },
    { timeoutMs, processes },
  );
}

/** Matching answers when it describes a task queue. */
export async function waitForMatching(
  connection: Connection,
  namespace: string,
  processes: Started[],
  timeoutMs = 90_000,
): Promise<void> {
  await until(
    'the matching service',
    async () => {
      await connection.withDeadline(Date.now() + 3000, () =>
        connection.workflowService.describeTaskQueue({
          namespace,
          taskQueue: { name: 'arbiter-cluster-probe', kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
          taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        }),
      );
      return true;
    },
    { timeoutMs, processes },
  );
}

/**
 * Registers the namespace (kept if it exists) and Arbiter's search attributes, and waits until the
 * frontend serves both.
 */
export async function registerNamespace(
  connection: Connection,
  namespace: string,
  processes: Started[],
): Promise<void> {
  await until(
    `namespace ${namespace} registered`,
    async () => {
      try {
        await connection.workflowService.registerNamespace({
          namespace,
          workflowExecutionRetentionPeriod: msToTs(`${RETENTION_HOURS}h`),
        });
      } catch (err) {
        if (grpcCode(err) !== ALREADY_EXISTS) throw err;
      }
      await connection.workflowService.describeNamespace({ namespace });
      return true;
    },
    { timeoutMs: 60_000, processes },
  );
  await until(
    "Arbiter's search attributes",
    async () => {
      await ensureSearchAttributes(connection, namespace);
      const listed = await connection.operatorService.listSearchAttributes({ namespace });
      const have = Object.keys(listed.customAttributes ?? {});
      return Object.values(SEARCH_ATTRIBUTES).every((k) => have.includes(k.name));
    },
    { timeoutMs: 60_000, processes },
  );
}
