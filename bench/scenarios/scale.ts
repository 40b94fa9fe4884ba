// Horizontal scale: S served by one and by two separate `arbiter worker` processes on one fresh task
// queue, with the agent in process and (full runs) on its pool's task queue (agent-reporter).
// Separate processes, not two Worker objects in the bench's own process, because a worker's
// workflow code runs on one JavaScript thread: the second process is what adds a second thread.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AGENTS_YAML, type Bench } from '../harness/bench.js';
import { measureLoad, type LoadResult } from '../harness/load.js';
import type { Scenario } from '../harness/scenario.js';
import { leverCounts, log, POOL_MAX_CONCURRENT } from '../harness/settings.js';
import { spawnWorkers } from '../harness/workerProcesses.js';
import { contractWorkload } from '../harness/workloads.js';
import { fmt, perThousand, ratio } from '../stats.js';

export interface ScaleResult {
  workers: number;
  /** 'in process': the builtin agent runs inside the contract's workflow task; 'pool': on agent-<id>. */
  agent: 'in process' | 'pool';
  result: LoadResult;
  /** CPU-seconds of the worker processes (not this process) per 1,000 contracts. */
  workerCpuSecondsPer1k: number;
}

/**
 * The agents file the worker processes load: the bench's, or the same agent with limits, so it
 * runs on its own task queue served by the agent pool every `arbiter worker` starts, as a regular
 * activity.
 */
function agentsFile(bench: Bench, agent: ScaleResult['agent']): string {
  const file = bench.setup.config.agentsFile;
  if (agent === 'in process') return file;
  const pooled = join(dirname(file), 'agents-pool.yaml');
  writeFileSync(pooled, `${AGENTS_YAML}    limits: { maxConcurrent: ${POOL_MAX_CONCURRENT} }\n`);
  return pooled;
}

/** S on `workers` worker processes and a fresh task queue (so the server sees only this run's pollers). */
async function measureWorkers(
  bench: Bench,
  workers: number,
  agent: ScaleResult['agent'],
): Promise<ScaleResult> {
  const { config } = bench.setup;
  const taskQueue = `${config.taskQueue}-w${workers}${agent === 'pool' ? '-pool' : ''}`;
  const env = {
    TEMPORAL_ADDRESS: config.address!,
    TEMPORAL_NAMESPACE: config.namespace,
    ARBITER_AGENTS: agentsFile(bench, agent),
    ARBITER_DATA_DIR: config.dataDir,
  };
  const processes = await spawnWorkers(workers, env, bench.client, config.namespace, taskQueue);
  try {
    const name = `S, ${agent === 'pool' ? 'agent pool, ' : ''}${workers} worker process${workers > 1 ? 'es' : ''}`;
    const cpuBefore = processes.cpuSeconds();
    const result = await bench.stack.withArbiter({ ...config, taskQueue }, (scaled) =>
      measureLoad(bench, contractWorkload(name, scaled), leverCounts(bench.counts)),
    );
    const cpu = processes.cpuSeconds() - cpuBefore;
    return { workers, agent, result, workerCpuSecondsPer1k: perThousand(cpu, result.workflows) };
  } finally {
    await processes.stop();
  }
}

function scaleRow(x: ScaleResult, all: ScaleResult[]): string[] {
  const one = all.find((y) => y.agent === x.agent && y.workers === 1);
  const { perMinute, failures } = x.result.throughput;
  return [
    x.agent === 'pool' ? `pool \`agent-reporter\` (maxConcurrent ${POOL_MAX_CONCURRENT})` : 'in process',
    String(x.workers),
    fmt(x.result.latencyMs.p50, 1),
    `${fmt(perMinute, 0)}${failures ? ` (${failures} failed)` : ''}`,
    fmt(x.workerCpuSecondsPer1k),
    `×${one ? fmt(ratio(perMinute, one.result.throughput.perMinute), 2) : '-'}`,
  ];
}

export const scale: Scenario<ScaleResult[]> = {
  key: 'scale',
  run: async (bench) => {
    const results: ScaleResult[] = [];
    // The pool rows only in full runs: they add 20 s, and --quick must stay under 2 minutes.
    for (const agent of bench.quick ? (['in process'] as const) : (['in process', 'pool'] as const)) {
      for (const workers of [1, 2]) {
        log(`horizontal scale: ${workers} worker process${workers > 1 ? 'es' : ''}, agent ${agent}`);
        results.push(await measureWorkers(bench, workers, agent));
      }
    }
    return results;
  },
  report: (xs) => ({
    tables: [
      {
        id: 'scale',
        heading: 'Horizontal scale (separate `arbiter worker` processes, one task queue)',
        columns: [
          'agent',
          'workers',
          'latency p50 (ms)',
          'throughput (contracts/min)',
          'worker CPU-s / 1k',
          'throughput vs 1 worker',
        ],
        rows: xs.map((x) => scaleRow(x, xs)),
      },
    ],
  }),
};
