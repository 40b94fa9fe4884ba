// Scale-out on the production-shape cluster: `npm run bench -- --cluster [--quick]`.
//
// The same governed contract (classify, Cedar, select, the builtin report agent, validate, ledger,
// audit) served by 1, 2 and 3 separate `arbiter worker` processes, first on the dev server
// (`temporal server start-dev`, SQLite file) and then on the cluster `npm run cluster` runs
// (Temporal's four services as separate processes on PostgreSQL, SQL visibility), in one run on
// one machine. For each: latency at low load (one contract at a time), throughput at saturation
// (all started at once), and what each part cost per 1,000 contracts — CPU-seconds of the workers,
// the dev server or each Temporal service, PostgreSQL (postmaster and backends), and the rows and
// WAL bytes PostgreSQL wrote. Prints a markdown report and writes bench/results/cluster-*.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { startCluster, type Cluster } from '../scripts/cluster/cluster.js';
import { SERVICES, TEMPORAL_SERVER_VERSION } from '../scripts/cluster/spec.js';
import { Arbiter, type ContractState } from '../src/client.js';
import { loadConfig } from '../src/config/settings.js';
import { startDevServer } from '../src/embedded/devServer.js';
import { freePort } from '../src/config/freePort.js';
import type { Contract } from '../src/shared/contract.js';
import { machineCpuSeconds, processCpuSeconds, treeCpuSeconds } from './procCpu.js';
import { spawnWorkers } from './harness/workerProcesses.js';
import { fmt, perMinute, perThousand, ratio, summarize, type Summary } from './stats.js';

const quick = process.argv.includes('--quick');
const COUNTS = quick ? { warm: 3, latency: 10, throughput: 100 } : { warm: 10, latency: 30, throughput: 400 };
const WORKER_PROCESSES = [1, 2, 3];
/** Concurrent start RPCs while saturating (as bench/run.ts). */
const START_CONCURRENCY = 64;
const root = fileURLToPath(new URL('..', import.meta.url));
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
const runTag = Date.now().toString(36);

const AGENTS_YAML = `agents:
  - id: reporter
    description: Benchmark agent; the builtin report writer (deterministic, zero cost).
    capabilities: { domains: [data, general] }
    endpoint: { kind: builtin, name: report }
    clearance: internal
    timeout: 30s
`;

const log = (msg: string) =>
  process.stderr.write(`[bench cluster ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

/** A server under test: its address, and its parts' cumulative CPU-seconds and PostgreSQL counters. */
interface Target {
  name: 'dev server' | 'cluster';
  address: string;
  cpu(): Record<string, number>;
  pgCounters?: () => Promise<{ rows: number; walBytes: number }>;
}

interface Row {
  server: Target['name'];
  workers: number;
  latencyMs: Summary;
  contracts: number;
  failures: number;
  wallMs: number;
  perMinute: number;
  /** Share of all cores busy (machine-wide) while saturated. */
  machineBusy: number;
  cpuPer1k: Record<string, number>;
  pgPer1k?: { rows: number; walMb: number };
}

function contract(id: string): Contract {
  return {
    id,
    title: 'Engagement metrics dashboard',
    objective: 'Design the analytics dashboard and its metrics for engagement data.',
    acceptanceCriteria: ['lists the metrics', 'names the data sources'],
    constraints: { dataClass: 'internal' },
    dependsOn: [],
  };
}

async function pool<T>(n: number, limit: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(n);
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const i = next++;
      out[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, lane));
  return out;
}

const diff = (a: Record<string, number>, b: Record<string, number>) =>
  Object.fromEntries(Object.keys(b).map((k) => [k, (b[k] ?? NaN) - (a[k] ?? NaN)]));

async function measure(target: Target, workers: number, agentsFile: string): Promise<Row> {
  const dataDir = mkdtempSync(join(tmpdir(), 'arbiter-bench-cluster-data-'));
  const config = {
    ...loadConfig({}, root),
    address: target.address,
    taskQueue: `bench-${target.name.replace(' ', '-')}-w${workers}-${runTag}`,
    dataDir,
    agentsFile,
  };
  const arbiter = await Arbiter.connect(config);
  const processes = await spawnWorkers(
    workers,
    { TEMPORAL_ADDRESS: target.address, ARBITER_AGENTS: agentsFile, ARBITER_DATA_DIR: dataDir },
    arbiter.client,
    config.namespace,
    config.taskQueue,
  );
  const prefix = `${config.taskQueue}`;
  const run = async (id: string) => {
    const { workflowId } = await arbiter.submitContract(contract(id));
    const state = (await arbiter.client.workflow.getHandle(workflowId).result()) as ContractState;
    if (state.outcome !== 'SUCCEEDED')
      throw new Error(`${workflowId} ended ${state.outcome ?? state.status}`);
  };
  try {
    for (let i = 0; i < COUNTS.warm; i++) await run(`${prefix}-warm-${i}`);
    const latencies: number[] = [];
    for (let i = 0; i < COUNTS.latency; i++) {
      const t0 = performance.now();
      await run(`${prefix}-lat-${i}`);
      latencies.push(performance.now() - t0);
    }
    const workerCpu = () => processes.cpuSeconds();
    const pg0 = await target.pgCounters?.();
    const cpu0 = { workers: workerCpu(), ...target.cpu() };
    const m0 = machineCpuSeconds();
    const t0 = performance.now();
    let failures = 0;
    const ends: Promise<void>[] = [];
    await pool(COUNTS.throughput, START_CONCURRENCY, async (i) => {
      const { workflowId } = await arbiter.submitContract(contract(`${prefix}-tp-${i}`));
      ends.push(
        arbiter.client.workflow
          .getHandle(workflowId)
          .result()
          .then(
            (s) => {
              if ((s as ContractState).outcome !== 'SUCCEEDED') failures += 1;
            },
            () => {
              failures += 1;
            },
          ),
      );
    });
    await Promise.all(ends);
    const wallMs = performance.now() - t0;
    const m1 = machineCpuSeconds();
    const cpu1 = { workers: workerCpu(), ...target.cpu() };
    // PostgreSQL publishes its statistics about once a second.
    const pg1 = target.pgCounters ? (await sleep(1500), await target.pgCounters()) : undefined;
    const n = COUNTS.throughput;
    const row: Row = {
      server: target.name,
      workers,
      latencyMs: summarize(latencies),
      contracts: n,
      failures,
      wallMs,
      perMinute: perMinute(n - failures, wallMs),
      machineBusy: (m1.busy - m0.busy) / (m1.total - m0.total),
      cpuPer1k: Object.fromEntries(Object.entries(diff(cpu0, cpu1)).map(([k, v]) => [k, perThousand(v, n)])),
      ...(pg0 && pg1
        ? {
            pgPer1k: {
              rows: perThousand(pg1.rows - pg0.rows, n),
              walMb: perThousand((pg1.walBytes - pg0.walBytes) / 2 ** 20, n),
            },
          }
        : {}),
    };
    log(
      `${target.name}, ${workers} worker process(es): p50 ${fmt(row.latencyMs.p50)} ms, ` +
        `${fmt(row.perMinute, 0)}/min, machine ${fmt(row.machineBusy * 100, 0)}% busy`,
    );
    return row;
  } finally {
    await processes.stop();
    await arbiter.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function onDevServer(agentsFile: string): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-bench-dev-'));
  const server = await startDevServer({ port: await freePort(), dbFile: join(dir, 'temporal.db') });
  log(`dev server pid ${server.process.pid} at ${server.address} (SQLite ${dir}/temporal.db)`);
  const target: Target = {
    name: 'dev server',
    address: server.address,
    cpu: () => ({ 'dev server': processCpuSeconds(server.process.pid) }),
  };
  try {
    const rows: Row[] = [];
    for (const w of WORKER_PROCESSES) rows.push(await measure(target, w, agentsFile));
    return rows;
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function onCluster(agentsFile: string): Promise<{ rows: Row[]; startMs: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'arbiter-bench-cluster-'));
  const t0 = performance.now();
  const cluster: Cluster = await startCluster({
    dataDir,
    workers: 0,
    log,
    stopWhenOwnerDies: { purge: true },
  });
  const startMs = performance.now() - t0;
  const counters = async () => {
    const [rows, wal] = await Promise.all([
      cluster.query(
        'postgres',
        'select coalesce(sum(tup_inserted + tup_updated + tup_deleted), 0) from pg_stat_database ' +
          "where datname in ('temporal', 'temporal_visibility')",
      ),
      cluster.query('postgres', 'select wal_bytes from pg_stat_wal'),
    ]);
    return { rows: Number(rows), walBytes: Number(wal) };
  };
  const target: Target = {
    name: 'cluster',
    address: cluster.address,
    cpu: () => ({
      ...Object.fromEntries(SERVICES.map((s) => [s, processCpuSeconds(cluster.services[s].pid)])),
      postgres: treeCpuSeconds(cluster.postmasterPid()),
    }),
    pgCounters: counters,
  };
  try {
    const rows: Row[] = [];
    for (const w of WORKER_PROCESSES) rows.push(await measure(target, w, agentsFile));
    return { rows, startMs };
  } finally {
    await cluster.stop({ purge: true });
  }
}

function markdown(r: {
  startedAt: string;
  machine: string;
  loadBefore: number[];
  loadAfter: number[];
  clusterStartMs: number;
  rows: Row[];
}): string {
  const out: string[] = [
    `# Arbiter on a production-shape cluster — ${r.startedAt}`,
    '',
    `Machine: ${r.machine}; load average before ${r.loadBefore.join(' / ')}, after ${r.loadAfter.join(' / ')}. ` +
      `Temporal ${TEMPORAL_SERVER_VERSION}: the dev server (start-dev, SQLite file) and the cluster (frontend, history, ` +
      `matching and worker services as separate processes, 16 history shards, PostgreSQL with SQL visibility; ` +
      `started in ${fmt(r.clusterStartMs / 1000)} s). Contracts: ${COUNTS.latency} one at a time for latency, ` +
      `${COUNTS.throughput} started at once for throughput, after ${COUNTS.warm} to warm up.`,
    '',
    '| server | worker processes | latency p50 / p95 (ms) | contracts/min | machine CPU busy | worker CPU-s / 1k | Temporal CPU-s / 1k | PostgreSQL CPU-s / 1k | PostgreSQL rows / 1k | WAL MB / 1k |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const x of r.rows) {
    const temporal =
      x.server === 'cluster'
        ? `${fmt(SERVICES.reduce((s, k) => s + (x.cpuPer1k[k] ?? NaN), 0))} (${SERVICES.map((k) => `${k} ${fmt(x.cpuPer1k[k] ?? NaN)}`).join(', ')})`
        : fmt(x.cpuPer1k['dev server'] ?? NaN);
    out.push(
      `| ${x.server} | ${x.workers} | ${fmt(x.latencyMs.p50)} / ${fmt(x.latencyMs.p95)} | ${fmt(x.perMinute, 0)}` +
        `${x.failures ? ` (${x.failures} failed)` : ''} | ${fmt(x.machineBusy * 100, 0)}% | ${fmt(x.cpuPer1k.workers ?? NaN)} | ${temporal} | ` +
        `${x.server === 'cluster' ? fmt(x.cpuPer1k.postgres ?? NaN) : '–'} | ${x.pgPer1k ? fmt(x.pgPer1k.rows, 0) : '–'} | ${x.pgPer1k ? fmt(x.pgPer1k.walMb) : '–'} |`,
    );
  }
  const find = (server: Row['server'], w: number) =>
    r.rows.find((x) => x.server === server && x.workers === w);
  out.push('', '## Ratios', '', '| measure | dev server | cluster |', '| --- | --- | --- |');
  for (const w of WORKER_PROCESSES.slice(1)) {
    out.push(
      `| throughput, ${w} worker processes / 1 | ${fmt(ratio(find('dev server', w)?.perMinute ?? NaN, find('dev server', 1)?.perMinute ?? NaN), 2)} | ` +
        `${fmt(ratio(find('cluster', w)?.perMinute ?? NaN, find('cluster', 1)?.perMinute ?? NaN), 2)} |`,
    );
  }
  for (const w of WORKER_PROCESSES) {
    const dev = find('dev server', w);
    const cl = find('cluster', w);
    out.push(
      `| cluster / dev server, ${w} worker process${w > 1 ? 'es' : ''}: throughput, latency p50 | – | ` +
        `${fmt(ratio(cl?.perMinute ?? NaN, dev?.perMinute ?? NaN), 2)}, ${fmt(ratio(cl?.latencyMs.p50 ?? NaN, dev?.latencyMs.p50 ?? NaN), 2)} |`,
    );
  }
  return `${out.join('\n')}\n`;
}

export async function main(): Promise<never> {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    const startedAt = new Date().toISOString();
    const loadBefore = loadavg().map((x) => Math.round(x * 100) / 100);
    const agentsDir = mkdtempSync(join(tmpdir(), 'arbiter-bench-cluster-agents-'));
    const agentsFile = join(agentsDir, 'agents.yaml');
    writeFileSync(agentsFile, AGENTS_YAML);
    const dev = await onDevServer(agentsFile);
    const cluster = await onCluster(agentsFile);
    rmSync(agentsDir, { recursive: true, force: true });
    const results = {
      startedAt,
      machine: `${hostname()}: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      loadBefore,
      loadAfter: loadavg().map((x) => Math.round(x * 100) / 100),
      clusterStartMs: cluster.startMs,
      counts: COUNTS,
      rows: [...dev, ...cluster.rows],
    };
    const md = markdown(results);
    mkdirSync(resultsDir, { recursive: true });
    const stamp = startedAt.replace(/[:.]/g, '-');
    writeFileSync(join(resultsDir, `cluster-${stamp}.json`), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(join(resultsDir, 'cluster-latest.md'), md);
    process.stdout.write(md);
    log(`wrote bench/results/cluster-${stamp}.json and bench/results/cluster-latest.md`);
    const failed = results.rows.reduce((s, x) => s + x.failures, 0);
    process.exit(failed > 0 ? 1 : 0);
  } catch (err) {
    process.stderr.write(
      `bench --cluster failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  }
}
