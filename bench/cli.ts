// How fast the command line answers (docs/performance.md, "The command line"):
// `npm run bench:cli [-- --runs N] [-- --worker-runs N] [-- --before DIR]`.
//
// Each figure is the median of N runs after warm-ups, every run a fresh `node bin/arbiter.js`
// process as a user starts it, timed from spawn to exit (wall), with the CPU-seconds of its main
// thread and of all its threads, and its peak RSS (from /proc, read as it exits). `arbiter worker`
// runs as an operator starts it (Prometheus metrics on, on a free port) and is timed from spawn to
// the moment the Temporal server lists a workflow poller on the worker's own fresh task queue
// (DescribeTaskQueue, asked every 20 ms): it is then ready for work. Its "worker polling" log line
// is timed too, and its CPU and RSS are read at that first poll.
//
// On a shared machine wall times follow the load; the main thread's CPU-seconds are what a
// command's wall time is made of on an idle machine (the other threads, V8's compilers and GC, run
// beside it on the second core), so they are reported beside every wall time.
//
// `--before DIR` measures another checkout (a clone of the commit before a change, with
// node_modules and .tools linked) in the same session, runs interleaved, so both share the
// machine's load; without it the "before" column shows the figures in RECORDED_BEFORE.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { Arbiter } from '../src/client.js';
import { loadConfig, type Config } from '../src/config/settings.js';
import { loadContract } from '../src/config/files.js';
import { startDevServer, type DevServer } from '../src/embedded/devServer.js';
import { freePort } from '../src/config/freePort.js';
import { connectWorker, createWorker } from '../src/worker.js';
import { fmt, summarize } from './stats.js';

const { TaskQueueKind, TaskQueueType } = proto.temporal.api.enums.v1;

const root = fileURLToPath(new URL('..', import.meta.url));
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const RUNS = Number(arg('--runs') ?? 7);
const WORKER_RUNS = Number(arg('--worker-runs') ?? 5);
const WARMUP = 2;
const beforeDir = arg('--before') ? resolve(arg('--before')!) : undefined;
const CHECK_FILE = 'examples/contracts/analytics-dashboard.yaml';

/** Seconds; the targets of issue 21 on a 2-core machine. */
const TARGETS: Record<string, number> = {
  help: 0.3,
  check: 0.3,
  status: 0.5,
  worker: 1.5,
};

/**
 * The figures of commit b8e45e4, before the compiled build (tsx at run time, every module loaded
 * at start, the workflow bundle built at worker start): medians of the interleaved run of
 * 2026-11-30T06:01Z on this 2-core machine under a load average of 13-14 (docs/performance.md).
 */
const RECORDED_BEFORE: Record<string, Omit<Sample, 'logLine'>> = {
  help: { wall: 5.12, cpuMain: 0.96, cpuAll: 2.23, rssMiB: 188 },
  statusHelp: { wall: 5.16, cpuMain: 1.06, cpuAll: 2.42, rssMiB: 192 },
  check: { wall: 5.01, cpuMain: 1.05, cpuAll: 2.44, rssMiB: 185 },
  status: { wall: 4.28, cpuMain: 1.04, cpuAll: 2.43, rssMiB: 190 },
  worker: { wall: 10.09, cpuMain: 2.49, cpuAll: 5.71, rssMiB: 451 },
};

const log = (line: string) => process.stderr.write(`[bench:cli] ${line}\n`);

interface Sample {
  /** Seconds from spawn to exit (to the first poll, for the worker). */
  wall: number;
  /** CPU-seconds of the main thread, and of all threads. */
  cpuMain?: number;
  cpuAll?: number;
  rssMiB?: number;
  /** worker only: spawn -> its "worker polling" log line. */
  logLine?: number;
}

interface Scenario {
  key: string;
  label: string;
  args: (ctx: Context) => string[];
  /** The output must show this, or the run is a failure (not a fast wrong answer). */
  expect?: (ctx: Context) => RegExp;
}

interface Context {
  address: string;
  contractId: string;
  dataDir: string;
}

const SCENARIOS: Scenario[] = [
  { key: 'help', label: '`arbiter --help`', args: () => ['--help'], expect: () => /Usage: arbiter/ },
  {
    key: 'statusHelp',
    label: '`arbiter status --help`',
    args: () => ['status', '--help'],
    expect: () => /Usage: arbiter status/,
  },
  {
    key: 'check',
    label: `\`arbiter check ${CHECK_FILE}\``,
    args: () => ['check', CHECK_FILE],
    expect: () => /^ok: /,
  },
  {
    key: 'status',
    label: '`arbiter status ID` (finished contract, server on 127.0.0.1)',
    args: (ctx) => ['status', ctx.contractId],
    expect: (ctx) => new RegExp(`contract/${ctx.contractId}`),
  },
];

/**
 * Preloaded into every measured process: at exit it writes its main thread's CPU-seconds, all its
 * threads' and its peak RSS (from /proc, Linux) to BENCH_USAGE_FILE. The main thread's figure is
 * what an idle machine's wall time is made of; the others (V8 compilers, GC, the SDK's threads)
 * run beside it on the second core.
 */
const USAGE_PRELOAD = `
import { readFileSync, writeFileSync } from 'node:fs';
process.once('exit', () => {
  try {
    const cpu = (path) => {
      const stat = readFileSync(path, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12])) / ${clockTicks()};
    };
    const hwm = /VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    writeFileSync(process.env.BENCH_USAGE_FILE, [cpu('/proc/self/task/' + process.pid + '/stat'), cpu('/proc/self/stat'), Number(hwm) / 1024].join(' '));
  } catch {}
});`;

function clockTicks(): number {
  return Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
}

function env(ctx: Context, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: ctx.address,
    ARBITER_DATA_DIR: ctx.dataDir,
    ARBITER_METRICS_PORT: 'off',
    ARBITER_LOG_LEVEL: 'WARN',
    ...extra,
  };
}

/** One `node bin/arbiter.js ARGS` in `repo`: wall from spawn to exit, CPU and peak RSS at exit. */
async function runOnce(repo: string, scenario: Scenario, ctx: Context): Promise<Sample> {
  const usageFile = join(ctx.dataDir, `usage-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const preload = `data:text/javascript,${encodeURIComponent(USAGE_PRELOAD)}`;
  const args = ['--import', preload, join(repo, 'bin/arbiter.js'), ...scenario.args(ctx)];
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: repo,
    env: env(ctx, { BENCH_USAGE_FILE: usageFile }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('close', r));
  const wall = (performance.now() - started) / 1000;
  const want = scenario.expect?.(ctx);
  if (code !== 0 || (want && !want.test(out))) {
    throw new Error(`${repo}: arbiter ${scenario.args(ctx).join(' ')} exited ${code}:\n${out.slice(-2000)}`);
  }
  if (!existsSync(usageFile)) return { wall };
  const [cpuMain, cpuAll, rssMiB] = readFileSync(usageFile, 'utf8').split(' ').map(Number);
  rmSync(usageFile, { force: true });
  return { wall, cpuMain, cpuAll, rssMiB };
}

/** Workflow pollers the server lists on `taskQueue`. */
async function pollers(client: Client, namespace: string, taskQueue: string): Promise<number> {
  const res = await client.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return res.pollers?.length ?? 0;
}

let workerCount = 0;

/** CPU-seconds (main thread, all threads) and peak RSS of a running process, from /proc (Linux). */
function procUsage(pid: number): Omit<Sample, 'wall'> {
  try {
    const hz = clockTicks();
    const cpu = (path: string) => {
      // After the command name (which may hold spaces): utime and stime are the 12th and 13th fields.
      const stat = readFileSync(path, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12])) / hz;
    };
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return {
      cpuMain: cpu(`/proc/${pid}/task/${pid}/stat`),
      cpuAll: cpu(`/proc/${pid}/stat`),
      ...(hwm ? { rssMiB: Number(hwm) / 1024 } : {}),
    };
  } catch {
    return {};
  }
}

/**
 * `arbiter worker` on a fresh task queue, as an operator starts one (Prometheus metrics on, on a
 * free port): spawn -> the server sees its first workflow poll.
 */
async function workerOnce(repo: string, ctx: Context, client: Client, namespace: string): Promise<Sample> {
  workerCount += 1;
  const taskQueue = `bench-cli-${process.pid}-${workerCount}`;
  const metricsPort = String(await freePort());
  const started = performance.now();
  const child = spawn(process.execPath, [join(repo, 'bin/arbiter.js'), 'worker'], {
    cwd: repo,
    env: env(ctx, {
      TEMPORAL_TASK_QUEUE: taskQueue,
      ARBITER_LOG_LEVEL: 'WARN',
      ARBITER_METRICS_PORT: metricsPort,
    }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let errText = '';
  let logLine: number | undefined;
  child.stderr.on('data', (d: Buffer) => {
    errText = (errText + d.toString()).slice(-4000);
    if (logLine === undefined && /worker polling/.test(errText))
      logLine = (performance.now() - started) / 1000;
  });
  try {
    const deadline = started + 120_000;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`${repo}: arbiter worker exited ${child.exitCode}: ${errText}`);
      if ((await pollers(client, namespace, taskQueue)) > 0) break;
      if (performance.now() > deadline) throw new Error(`${repo}: arbiter worker did not poll within 120 s`);
      await sleep(20);
    }
    const wall = (performance.now() - started) / 1000;
    return { wall, ...procUsage(child.pid!), ...(logLine !== undefined ? { logLine } : {}) };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
  }
}

/** One finished contract to ask `status` about, run by an in-process worker that then stops. */
async function finishedContract(config: Config): Promise<string> {
  const connection = await connectWorker(config);
  try {
    const worker = await createWorker({ config }, connection);
    const arbiter = await Arbiter.connect(config);
    try {
      const contract = loadContract(join(root, CHECK_FILE));
      contract.id = `bench-cli-${Date.now().toString(36)}`;
      await worker.runUntil(async () => {
        const { workflowId } = await arbiter.submitContract(contract);
        await arbiter.result(workflowId);
      });
      return contract.id;
    } finally {
      await arbiter.close();
    }
  } finally {
    await connection.close();
  }
}

interface Row {
  key: string;
  label: string;
  samples: Record<string, Sample[]>;
}

const median = (xs: (number | undefined)[]) => {
  const v = xs.filter((x): x is number => x !== undefined && Number.isFinite(x));
  return v.length ? summarize(v).p50 : NaN;
};

function cell(samples: Sample[] | undefined, recorded: Omit<Sample, 'logLine'> | undefined): string {
  const s = samples ?? (recorded ? [recorded] : undefined);
  if (!s) return '-';
  const m = (f: (x: Sample) => number | undefined) => median(s.map(f));
  const logLine = m((x) => x.logLine);
  const cpuMain = m((x) => x.cpuMain);
  const parts = [
    `**${fmt(
      m((x) => x.wall),
      2,
    )} s**${samples ? '' : ' (recorded)'}`,
    ...(Number.isFinite(logLine) ? [`log line ${fmt(logLine, 2)} s`] : []),
    ...(Number.isFinite(cpuMain)
      ? [
          `CPU ${fmt(cpuMain, 2)} main / ${fmt(
            m((x) => x.cpuAll),
            2,
          )} all, ${fmt(
            m((x) => x.rssMiB),
            0,
          )} MiB`,
        ]
      : []),
  ];
  return parts.join('; ');
}

function markdown(rows: Row[], repos: [string, string][], meta: Record<string, string>): string {
  const names = repos.map(([name]) => name);
  const lines = [
    `| median | ${names.join(' | ')} | target (wall) | met (wall) |`,
    `| --- |${names.map(() => ' --- |').join('')} --- | --- |`,
  ];
  for (const row of rows) {
    const target = TARGETS[row.key];
    const current = row.samples[names.at(-1)!];
    const met =
      target === undefined || !current ? '' : median(current.map((x) => x.wall)) <= target ? 'yes' : 'no';
    const cells = names.map((n) =>
      cell(row.samples[n], n === 'before' ? RECORDED_BEFORE[row.key] : undefined),
    );
    lines.push(
      `| ${row.label} | ${cells.join(' | ')} | ${target !== undefined ? `≤ ${target} s` : ''} | ${met} |`,
    );
  }
  lines.push('');
  for (const [k, v] of Object.entries(meta)) lines.push(`- ${k}: ${v}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const repos: [string, string][] = [
    ...(beforeDir ? [['before', beforeDir] as [string, string]] : []),
    ['after', root],
  ];
  const load0 = loadavg();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dataDir = mkdtempSync(join(tmpdir(), 'arbiter-bench-cli-'));
  let server: DevServer | undefined;
  let address = process.env.TEMPORAL_ADDRESS;
  if (!address) {
    server = await startDevServer({ port: await freePort() });
    address = server.address;
  }
  const { metrics: _metrics, ...defaults } = loadConfig({}, root);
  const config: Config = { ...defaults, address, dataDir, taskQueue: `bench-cli-${process.pid}` };
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: config.namespace });
  try {
    log(`server ${address}; preparing a finished contract`);
    const contractId = await finishedContract(config);
    const ctx: Context = { address, contractId, dataDir };
    const rows: Row[] = [];
    // Node itself: the floor under every figure.
    const nodeSamples: Sample[] = [];
    for (let i = 0; i < RUNS + WARMUP; i++) {
      const started = performance.now();
      spawnSync(process.execPath, ['-e', '']);
      if (i >= WARMUP) nodeSamples.push({ wall: (performance.now() - started) / 1000 });
    }
    rows.push({
      key: 'node',
      label: '`node -e ""` (Node alone)',
      samples: { [repos.at(-1)![0]]: nodeSamples },
    });
    const loads: string[] = [];
    for (const scenario of SCENARIOS) {
      loads.push(loadavg()[0]!.toFixed(1));
      log(`${scenario.label}: ${WARMUP} warm-up + ${RUNS} runs per checkout (load ${loads.at(-1)})`);
      const samples: Record<string, Sample[]> = Object.fromEntries(repos.map(([n]) => [n, []]));
      for (const [, repo] of repos) for (let i = 0; i < WARMUP; i++) await runOnce(repo, scenario, ctx);
      for (let i = 0; i < RUNS; i++) {
        for (const [name, repo] of repos) samples[name]!.push(await runOnce(repo, scenario, ctx));
      }
      rows.push({ key: scenario.key, label: scenario.label, samples });
    }
    loads.push(loadavg()[0]!.toFixed(1));
    log(`\`arbiter worker\`: 1 warm-up + ${WORKER_RUNS} runs per checkout (load ${loads.at(-1)})`);
    const workerSamples: Record<string, Sample[]> = Object.fromEntries(repos.map(([n]) => [n, []]));
    for (const [, repo] of repos) await workerOnce(repo, ctx, client, config.namespace);
    for (let i = 0; i < WORKER_RUNS; i++) {
      for (const [name, repo] of repos)
        workerSamples[name]!.push(await workerOnce(repo, ctx, client, config.namespace));
    }
    rows.push({
      key: 'worker',
      label: '`arbiter worker`: start to first poll seen by the server',
      samples: workerSamples,
    });
    const load1 = loadavg();
    const meta = {
      machine: `${cpus().length} × ${cpus()[0]?.model.trim() ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`,
      runs: `${RUNS} per command after ${WARMUP} warm-ups, ${WORKER_RUNS} worker starts after 1; checkouts interleaved`,
      'load average (1/5/15 min)': `start ${load0.map((x) => x.toFixed(2)).join(' ')}, end ${load1.map((x) => x.toFixed(2)).join(' ')}; 1-min at each figure's start: ${loads.join(', ')}`,
      checkouts: repos.map(([n, r]) => `${n} = ${r}${gitHead(r)}`).join('; '),
      at: new Date().toISOString(),
    };
    const md = markdown(rows, beforeDir ? repos : [['before', ''], ...repos], meta);
    mkdirSync(resultsDir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    writeFileSync(join(resultsDir, `cli-${stamp}.json`), `${JSON.stringify({ meta, rows }, null, 2)}\n`);
    writeFileSync(join(resultsDir, 'cli-latest.md'), `${md}\n`);
    process.stdout.write(`${md}\n`);
  } finally {
    await connection.close();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function gitHead(repo: string): string {
  const r = spawnSync('git', ['-C', repo, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  return r.status === 0 ? ` (${r.stdout.trim()})` : '';
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(
      `bench:cli failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
