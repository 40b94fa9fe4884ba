// A lever is a workload measured side by side with the one it would change (S, mostly), with
// fewer runs than S; its effect is the ratio of the two. Every lever module reports into one table.
import type { Part } from '../report.js';
import { fmt, ratio } from '../stats.js';
import type { Bench } from './bench.js';
import { measureLoad, type LoadResult, type LoadTarget, type Workload } from './load.js';
import { leverCounts, log } from './settings.js';

export interface LeverResult {
  lever: string;
  result: LoadResult;
  effect: string;
}

export function effect(x: LoadResult, base: LoadResult): string {
  const latency = fmt(ratio(x.latencyMs.p50, base.latencyMs.p50), 2);
  const throughput = fmt(ratio(x.throughput.perMinute, base.throughput.perMinute), 2);
  return `latency p50 ×${latency}, throughput ×${throughput} vs ${base.name}`;
}

/** Measures `workload` as lever `lever` against `base`, on the bench's server unless `on` says. */
export async function measureLever(
  bench: Bench,
  lever: string,
  workload: Workload,
  base: LoadResult,
  on: LoadTarget = bench,
): Promise<LeverResult> {
  log(`lever: ${lever}`);
  const result = await measureLoad(on, workload, leverCounts(bench.counts));
  return { lever, result, effect: effect(result, base) };
}

/** Rows of the report's levers table. */
export function leversPart(levers: LeverResult[]): Part {
  const rows = levers.map((l) => [
    l.lever,
    fmt(l.result.latencyMs.p50, 1),
    fmt(l.result.throughput.perMinute, 0),
    fmt(l.result.throughput.usage.peakRssMb, 0),
    l.effect,
  ]);
  return {
    tables: [
      {
        id: 'levers',
        heading: 'Levers',
        columns: ['lever', 'latency p50 (ms)', 'throughput (contracts/min)', 'peak RSS (MB)', 'effect'],
        rows,
      },
    ],
  };
}
