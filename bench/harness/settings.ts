// How much a bench run does, and the constants its figures depend on (docs/performance.md).
import { fileURLToPath } from 'node:url';

/** The repository (for its policies and agents.yaml). */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface Counts {
  warm: number;
  latency: number;
  throughput: number;
  lever: number;
  micro: number;
  plans: number[];
  /** Nodes in the child-workflows vs in-workflow fan-out comparison. */
  fanOut: number;
  statusPolls: number;
  /** Worker memory over many contracts: batches × contracts per batch. */
  soak: [number, number];
}

/** --quick is a CI smoke (< 2 min); a full run must stay < 15 min on 2 cores. */
export function countsFor(quick: boolean): Counts {
  return quick
    ? {
        warm: 3,
        latency: 8,
        throughput: 40,
        lever: 20,
        micro: 500,
        plans: [100],
        fanOut: 20,
        statusPolls: 5,
        soak: [3, 100],
      }
    : {
        warm: 10,
        latency: 30,
        throughput: 300,
        lever: 100,
        micro: 5_000,
        plans: [100, 1000],
        fanOut: 200,
        statusPolls: 20,
        soak: [10, 1000],
      };
}

/** Runs of one workload: warm-up, sequential (latency), all at once (throughput). */
export interface LoadCounts {
  warm: number;
  latency: number;
  throughput: number;
}

/** The baselines and S. */
export const loadCounts = (c: Counts): LoadCounts => ({
  warm: c.warm,
  latency: c.latency,
  throughput: c.throughput,
});

/** Levers and horizontal scale, side by side with S: fewer runs each. */
export const leverCounts = (c: Counts): LoadCounts => ({
  warm: c.warm,
  latency: Math.min(30, c.latency),
  throughput: c.lever,
});

/** Concurrent start RPCs in flight while saturating; everything is started as fast as this allows. */
export const START_CONCURRENCY = 64;
/** Parallelism of the benchmark plans and fan-outs (the plan default is 8; the schema allows 1,000). */
export const PLAN_MAX_PARALLEL = 100;
/** Workflows whose history length is fetched per measured load. */
export const HISTORY_SAMPLE = 5;
/** Slots of the benchmark agent's pool per worker process (the horizontal-scale pool rows). */
export const POOL_MAX_CONCURRENT = 50;

/** Makes this run's workflow ids unique on a server that keeps earlier runs. */
export const runTag = Date.now().toString(36);

export function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}
