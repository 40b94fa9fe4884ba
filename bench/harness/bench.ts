// The bench's shared setup, made once per run: a Temporal server (its own, or TEMPORAL_ADDRESS),
// an in-process Arbiter worker on a prebuilt bundle, the bench worker for the bare baselines and
// the contract mimic (bench/workflows.ts), and an Arbiter client. Scenarios get it as `Bench` and
// start only what is theirs; everything is stopped, and the run's scratch directory removed, at
// the end.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities/index.js';
import { loadDeps } from '../../src/activities/deps.js';
import type { Arbiter } from '../../src/client.js';
import { loadConfig, type Config } from '../../src/config/settings.js';
import { workflowBundle } from '../../src/runtime/workflowBundle.js';
import type { LoadTarget } from './load.js';
import { countsFor, log, repoRoot, runTag, type Counts } from './settings.js';
import { Stack, type ArbiterSetup } from './stack.js';

const benchWorkflowsPath = fileURLToPath(new URL('../workflows.ts', import.meta.url));

/** The benchmark's one agent: the builtin report writer (deterministic, zero cost). */
export const AGENTS_YAML = `agents:
  - id: reporter
    description: Benchmark agent; the builtin report writer (deterministic, zero cost).
    capabilities: { domains: [data, general] }
    endpoint: { kind: builtin, name: report }
    clearance: internal
    timeout: 30s
`;

export interface Bench extends LoadTarget {
  quick: boolean;
  counts: Counts;
  /** The run's Arbiter settings (its own task queue, data dir and agents file), deps and bundle. */
  setup: ArbiterSetup;
  /** The run's server, connection and in-process workers. */
  stack: Stack;
  /** Whether the server is the bench's own (not TEMPORAL_ADDRESS). */
  embedded: boolean;
  /** A client of `setup.config.taskQueue`, served by `arbiterWorker`. */
  arbiter: Arbiter;
  arbiterWorker: Worker;
  /** The bench worker's task queue (bench/workflows.ts). */
  bareQueue: string;
  /** The run's scratch directory, removed at its end. */
  tempDir: string;
}

function benchConfig(address: string, tempDir: string): Config {
  const agentsDir = join(tempDir, 'agents');
  mkdirSync(agentsDir);
  writeFileSync(join(agentsDir, 'agents.yaml'), AGENTS_YAML);
  return {
    ...loadConfig({}, repoRoot),
    address,
    ...(process.env.TEMPORAL_NAMESPACE ? { namespace: process.env.TEMPORAL_NAMESPACE } : {}),
    taskQueue: `arbiter-bench-${runTag}`,
    dataDir: join(tempDir, 'data'),
    agentsFile: join(agentsDir, 'agents.yaml'),
  };
}

/** The product's own workflow bundle (prebuilt by the build, or built once into the run's folder). */
async function bundleArbiterWorkflows(tempDir: string): Promise<string> {
  // With OTEL_* tracing on, the bundle carries the workflow tracing interceptors (none otherwise).
  const { codePath } = await workflowBundle({ encodedFailures: false, cacheDir: join(tempDir, 'bundles') });
  return codePath;
}

/** The bench workflows' worker: no-op steps for the baselines, the real activities for the mimic. */
async function startBenchWorker(stack: Stack, setup: ArbiterSetup, client: Client, taskQueue: string) {
  const noop = (step: string) => Promise.resolve(step);
  const worker = await Worker.create({
    connection: stack.connection,
    namespace: setup.config.namespace,
    taskQueue,
    workflowsPath: benchWorkflowsPath,
    activities: {
      noop,
      // The mimic's trust ledger is the Arbiter queue's, read with this client.
      ...createActivities(setup.deps, { client, taskQueue: setup.config.taskQueue }),
    },
  });
  stack.run(worker);
}

/** Sets the bench up, runs `fn` with it, and stops it all whatever `fn` does. */
export async function withBench<T>(quick: boolean, fn: (bench: Bench) => Promise<T>): Promise<T> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) log('starting an in-memory Temporal dev server');
  const stack = await Stack.open(address ? { address } : {});
  const tempDir = mkdtempSync(join(tmpdir(), 'arbiter-bench-'));
  try {
    const config = benchConfig(stack.address, tempDir);
    const deps = loadDeps(config);
    const arbiter = await stack.connectArbiter(config);
    log('bundling workflows');
    const setup: ArbiterSetup = { config, deps, codePath: await bundleArbiterWorkflows(tempDir) };
    const arbiterWorker = await stack.startArbiterWorker(setup);
    const bareQueue = `${config.taskQueue}-bare`;
    await startBenchWorker(stack, setup, arbiter.client, bareQueue);
    return await fn({
      quick,
      counts: countsFor(quick),
      setup,
      stack,
      embedded: !address,
      arbiter,
      arbiterWorker,
      bareQueue,
      tempDir,
      client: arbiter.client,
      serverPid: stack.serverPid,
    });
  } finally {
    await stack.close();
    rmSync(tempDir, { recursive: true, force: true });
  }
}
