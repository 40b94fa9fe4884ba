// The production-shape cluster as one object: PostgreSQL, the four Temporal services as separate
// processes, the namespace with Arbiter's search attributes, and N `arbiter worker` processes.
// Used by `npm run cluster` (scripts/cluster/main.ts), the cluster test suite and the benchmark.
// Everything it starts is recorded under <dataDir>/pids, so stopCluster() (or `cluster stop`)
// stops exactly that, also from another process.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import {
  ensurePostgresInstalled,
  initPostgres,
  postgresLogFile,
  postmasterPid,
  psql,
  startPostgres,
  stopPostgres,
  waitForPostgres,
  type PostgresSettings,
} from './postgres.js';
import {
  recordedNames,
  recordedPid,
  forgetPid,
  startProcess,
  stopRecorded,
  tail,
  type Started,
} from './processes.js';
import {
  NAMESPACE,
  SERVICE_PORT_VARS,
  SERVICES,
  TEMPORAL_SERVER_VERSION,
  schemaSteps,
  type ServiceName,
} from './spec.js';
import {
  applySchema,
  connectFrontend,
  registerNamespace,
  serverEnv,
  serviceProcessName,
  startService,
  waitForClusterRecord,
  waitForHistory,
  waitForMatching,
  type Database,
} from './temporal.js';
import { ensureServerTools, repoRoot, type ServerTools } from './build.mjs';

const { TaskQueueKind, TaskQueueType } = proto.temporal.api.enums.v1;

export const DEFAULT_DATA_DIR = join(repoRoot, '.arbiter', 'cluster');
const DB_USER = 'temporal';
const WORKER_PREFIX = 'arbiter-worker-';

/** What a data dir remembers between runs (mode 0600: it holds the database password). */
interface ClusterState {
  version: string;
  pgBin: string;
  db: Database;
  ports: Record<string, number>;
}

export interface ClusterOptions {
  dataDir?: string;
  /** `arbiter worker` processes to start (default 2). */
  workers?: number;
  taskQueue?: string;
  /** The frontend's gRPC port; default: the one this data dir used last, else a free one. */
  frontendPort?: number;
  pgPort?: number;
  log?: (line: string) => void;
  /**
   * Stop everything when this process dies, even by SIGKILL (a watcher process does it);
   * `purge` also removes the data dir. Off for `--keep`.
   */
  stopWhenOwnerDies?: { purge: boolean } | false;
}

export interface Cluster {
  dataDir: string;
  address: string;
  namespace: string;
  taskQueue: string;
  db: Database;
  pgBin: string;
  pgDataDir: string;
  tools: ServerTools;
  /** The service processes as they are now (a restart replaces an entry). */
  services: Record<ServiceName, Started>;
  workers: { process: Started; metricsPort: number }[];
  /** kill -9 a service and wait until it is gone. */
  killService(name: ServiceName): Promise<void>;
  /** Start a (killed) service again on its ports and wait until it serves. */
  restartService(name: ServiceName): Promise<Started>;
  stopPostgres(mode: 'fast' | 'immediate'): Promise<void>;
  startPostgres(): Promise<void>;
  postmasterPid(): number | undefined;
  query(db: string, sql: string): Promise<string>;
  stop(opts?: { purge?: boolean }): Promise<void>;
}

const stateFile = (dataDir: string) => join(dataDir, 'cluster.json');

function readState(dataDir: string): ClusterState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(dataDir), 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const srv = createServer();
    srv.once('error', () => resolvePromise(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolvePromise(true)));
  });
}

/**
 * Ports below 32768: Temporal records each service's membership port in a PostgreSQL smallint
 * column, and the kernel's own free ports (what freePort() gets) start above that range.
 */
const PORT_RANGE = { from: 20_000, to: 32_767 };

/** `wanted` if free, else the port remembered from the last run if free, else a new free one. */
async function pickPort(
  wanted: number | undefined,
  remembered: number | undefined,
  taken: Set<number>,
): Promise<number> {
  if (wanted !== undefined) {
    if (!(await isFree(wanted))) throw new Error(`port ${wanted} on 127.0.0.1 is in use: choose another`);
    taken.add(wanted);
    return wanted;
  }
  if (remembered && !taken.has(remembered) && (await isFree(remembered))) {
    taken.add(remembered);
    return remembered;
  }
  for (;;) {
    const p = PORT_RANGE.from + Math.floor(Math.random() * (PORT_RANGE.to - PORT_RANGE.from));
    if (!taken.has(p) && (await isFree(p))) {
      taken.add(p);
      return p;
    }
  }
}

/** A cluster from this data dir that is running, even in part (any recorded process alive). */
export function runningCluster(
  dataDir = DEFAULT_DATA_DIR,
): { address: string; state: ClusterState } | undefined {
  const state = readState(dataDir);
  if (!state) return undefined;
  const alive =
    recordedNames(dataDir).some((n) => recordedPid(dataDir, n) !== undefined) ||
    postmasterPid(join(dataDir, 'postgres')) !== undefined;
  return alive ? { address: `127.0.0.1:${state.ports.FRONTEND_GRPC_PORT}`, state } : undefined;
}

/** Waits until the server sees this worker process poll both its workflow and activity queues. */
async function waitForPoller(
  connection: Connection,
  namespace: string,
  taskQueue: string,
  w: Started,
): Promise<void> {
  const identity = `${w.pid}@${hostname()}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (!w.running()) throw new Error(`${w.name} exited before polling:\n${tail(w.logFile)}`);
    const seen = await Promise.all(
      [TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY].map(
        async (taskQueueType) => {
          const res = await connection.workflowService.describeTaskQueue({
            namespace,
            taskQueue: { name: taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
            taskQueueType,
          });
          return (res.pollers ?? []).some((p) => p.identity === identity);
        },
      ),
    );
    if (seen.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error(`${w.name} did not poll ${taskQueue} within 120 s`);
    await sleep(250);
  }
}

/** Starts (or, for a data dir whose cluster was stopped, restarts) the whole cluster. */
export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const dataDir = resolve(opts.dataDir ?? DEFAULT_DATA_DIR);
  const log = opts.log ?? (() => undefined);
  const namespace = NAMESPACE;
  const taskQueue = opts.taskQueue ?? 'arbiter';
  if (runningCluster(dataDir)) {
    throw new Error(`a cluster from ${dataDir} is already running: stop it first (npm run cluster -- stop)`);
  }
  mkdirSync(dataDir, { recursive: true });
  // PostgreSQL runs as its own OS user under root and must enter this dir (cluster.json stays 0600).
  chmodSync(dataDir, 0o755);

  const [tools, pgBin] = await Promise.all([
    ensureServerTools(log),
    Promise.resolve(ensurePostgresInstalled(log)),
  ]);
  const previous = readState(dataDir);
  const taken = new Set<number>();
  const ports: Record<string, number> = {};
  ports.FRONTEND_GRPC_PORT = await pickPort(opts.frontendPort, previous?.ports.FRONTEND_GRPC_PORT, taken);
  for (const name of Object.values(SERVICE_PORT_VARS).flat()) {
    if (name !== 'FRONTEND_GRPC_PORT') ports[name] = await pickPort(undefined, previous?.ports[name], taken);
  }
  const db: Database = {
    port: await pickPort(opts.pgPort, previous?.db.port, taken),
    user: DB_USER,
    password: previous?.db.password ?? randomBytes(18).toString('base64url'),
  };
  const state: ClusterState = { version: TEMPORAL_SERVER_VERSION, pgBin, db, ports };
  writeFileSync(stateFile(dataDir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });

  const pg: PostgresSettings = {
    dataDir: join(dataDir, 'postgres'),
    logFile: postgresLogFile(dataDir),
    ...db,
  };
  const address = `127.0.0.1:${ports.FRONTEND_GRPC_PORT}`;
  let connection: Connection | undefined;
  const workers: Cluster['workers'] = [];

  // Recorded first, so a start that fails half-way is stopped like any other.
  if (opts.stopWhenOwnerDies) {
    const main = join(repoRoot, 'scripts', 'cluster', 'main.ts');
    startProcess(
      dataDir,
      'watchdog',
      '/bin/sh',
      [
        '-c',
        'while kill -0 "$1" 2>/dev/null; do sleep 1; done; exec "$2" --import tsx "$3" stop --data-dir "$4" $5',
        'arbiter-cluster-watchdog',
        String(process.pid),
        process.execPath,
        main,
        dataDir,
        opts.stopWhenOwnerDies.purge ? '--purge' : '',
      ],
      { cwd: repoRoot },
    );
  }

  try {
    await initPostgres(pgBin, pg, log);
    await startPostgres(pgBin, pg);
    await waitForPostgres(pgBin, pg);
    log(`PostgreSQL on 127.0.0.1:${db.port} (pid ${postmasterPid(pg.dataDir)})`);
    await applySchema(tools, db, schemaSteps(tools.schemaRoot));
    log('schemas applied: temporal (persistence), temporal_visibility (SQL advanced visibility)');

    const env = serverEnv(db, ports);
    // The first service up writes a fresh database's cluster record; several at once race for it
    // and the losers exit. So: the first one alone, then the rest together.
    const [first, ...rest] = SERVICES;
    const services = { [first]: startService(tools, dataDir, first, env) } as Record<ServiceName, Started>;
    await waitForClusterRecord(
      () => psql(pgBin, db, 'temporal', 'select count(*) from cluster_metadata_info'),
      [services[first]],
    );
    for (const name of rest) {
      services[name] = startService(tools, dataDir, name, env);
    }
    connection = await connectFrontend(address, Object.values(services));
    await registerNamespace(connection, namespace, Object.values(services));
    await waitForHistory(connection, namespace, Object.values(services));
    await waitForMatching(connection, namespace, Object.values(services));
    log(
      `Temporal ${TEMPORAL_SERVER_VERSION} serving at ${address}: ` +
        SERVICES.map((s) => `${s} pid ${services[s].pid}`).join(', '),
    );

    const workerCount = opts.workers ?? 2;
    for (let i = 1; i <= workerCount; i++) {
      const metricsPort = await pickPort(undefined, undefined, taken);
      const w = startProcess(
        dataDir,
        `${WORKER_PREFIX}${i}`,
        process.execPath,
        [join(repoRoot, 'bin', 'arbiter.js'), 'worker'],
        {
          cwd: repoRoot,
          env: {
            ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TEMPORAL_'))),
            TEMPORAL_ADDRESS: address,
            TEMPORAL_NAMESPACE: namespace,
            TEMPORAL_TASK_QUEUE: taskQueue,
            ARBITER_DATA_DIR: join(dataDir, 'arbiter'),
            ARBITER_METRICS_PORT: String(metricsPort),
            ARBITER_METRICS_HOST: '127.0.0.1',
            ARBITER_LOG_LEVEL: process.env.ARBITER_LOG_LEVEL ?? 'WARN',
          },
        },
      );
      workers.push({ process: w, metricsPort });
    }
    await Promise.all(workers.map((w) => waitForPoller(connection!, namespace, taskQueue, w.process)));
    if (workerCount > 0) log(`${workerCount} arbiter worker process(es) polling "${taskQueue}"`);

    const conn = connection;
    const cluster: Cluster = {
      dataDir,
      address,
      namespace,
      taskQueue,
      db,
      pgBin,
      pgDataDir: pg.dataDir,
      tools,
      services,
      workers,
      killService: async (name) => {
        const p = cluster.services[name];
        if (!p.running()) return;
        p.child.kill('SIGKILL');
        await p.exited;
        forgetPid(dataDir, serviceProcessName(name));
      },
      restartService: async (name) => {
        const p = startService(tools, dataDir, name, env);
        cluster.services[name] = p;
        const all = Object.values(cluster.services);
        if (name === 'history') await waitForHistory(conn, namespace, all);
        else if (name === 'matching') await waitForMatching(conn, namespace, all);
        else await connectFrontend(address, all).then((c) => c.close());
        return p;
      },
      stopPostgres: (mode) => stopPostgres(pgBin, pg.dataDir, mode),
      startPostgres: async () => {
        await startPostgres(pgBin, pg);
        await waitForPostgres(pgBin, pg);
      },
      postmasterPid: () => postmasterPid(pg.dataDir),
      query: (database, sql) => psql(pgBin, db, database, sql),
      stop: async (o = {}) => {
        await conn.close().catch(() => undefined);
        await stopCluster(dataDir, { purge: o.purge ?? false });
      },
    };
    return cluster;
  } catch (err) {
    await connection?.close().catch(() => undefined);
    // A disposable data dir (purged when its owner dies) is purged when the start fails, too.
    const purge = opts.stopWhenOwnerDies ? opts.stopWhenOwnerDies.purge : false;
    await stopCluster(dataDir, { purge }).catch(() => undefined);
    throw err;
  }
}

/**
 * Stops what a cluster data dir records: the workers, then the Temporal services, then PostgreSQL.
 * `purge` removes the data dir too. Returns whether anything was running.
 */
export async function stopCluster(
  dataDir = DEFAULT_DATA_DIR,
  opts: { purge?: boolean } = {},
): Promise<boolean> {
  dataDir = resolve(dataDir);
  const names = recordedNames(dataDir);
  // The watcher runs this very function once its owner is gone: it must not stop itself.
  const watchdog = recordedPid(dataDir, 'watchdog');
  if (watchdog !== undefined && watchdog !== process.pid) await stopRecorded(dataDir, 'watchdog', 2000);
  let any = false;
  const stopAll = async (group: string[], graceMs: number) => {
    const results = await Promise.all(group.map((n) => stopRecorded(dataDir, n, graceMs)));
    any ||= results.some(Boolean);
  };
  await stopAll(
    names.filter((n) => n.startsWith(WORKER_PREFIX)),
    20_000,
  );
  await stopAll(
    SERVICES.map(serviceProcessName).filter((n) => names.includes(n)),
    20_000,
  );
  const state = readState(dataDir);
  const pgDataDir = join(dataDir, 'postgres');
  if (state && postmasterPid(pgDataDir)) {
    any = true;
    await stopPostgres(state.pgBin, pgDataDir, 'fast');
  }
  forgetPid(dataDir, 'watchdog');
  if (opts.purge && existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true });
  return any;
}
