// Measuring one workload (a kind of workflow and how it is started and awaited): latency at low
// load, throughput at saturation, history size, CPU and memory. Every row of the main table, the
// levers and horizontal scale is one of these.
import type { Client } from '@temporalio/client';
import type { Table } from '../report.js';
import { fmt, perMinute, perThousand, summarize, type Summary } from '../stats.js';
import { metered, settledMemory, type Settled, type Usage } from './resources.js';
import { HISTORY_SAMPLE, log, runTag, START_CONCURRENCY, type LoadCounts } from './settings.js';

/** One kind of run: `start` submits run `id` and resolves when it is accepted; `done` waits for its end. */
export interface Workload {
  name: string;
  start(id: string): Promise<string>;
  done(workflowId: string): Promise<void>;
}

/** Where a workload runs: the client that reads its histories, and the server it loads (CPU). */
export interface LoadTarget {
  client: Client;
  serverPid: number | undefined;
}

export interface LoadResult {
  name: string;
  latencyMs: Summary;
  throughput: { count: number; perMinute: number; failures: number; usage: Usage };
  historyEvents: Summary;
  cpuSecondsPer1k: number;
  serverCpuSecondsPer1k: number;
  /** RSS and heap after the workload, settled (GC, pause, GC). */
  settledAfter: Settled;
  /** Workflows this workload ran, warm-up and latency runs included. */
  workflows: number;
}

/** Runs `fn` for 0..n-1 with at most `limit` in flight; resolves to the results in order. */
export async function pool<T>(n: number, limit: number, fn: (i: number) => Promise<T>): Promise<T[]> {
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

/** At most `k` items spread evenly over `items`, the first included. */
export function sampleEvenly<T>(items: readonly T[], k = HISTORY_SAMPLE): T[] {
  const step = Math.max(1, Math.floor(items.length / k));
  return items.filter((_, i) => i % step === 0).slice(0, k);
}

export async function historyLengths(client: Client, ids: string[]): Promise<number[]> {
  return Promise.all(
    ids.map(async (id) => (await client.workflow.getHandle(id).fetchHistory()).events?.length ?? 0),
  );
}

/** Everything started at once (START_CONCURRENCY start RPCs in flight); resolves when all ended. */
async function saturate(
  w: Workload,
  prefix: string,
  n: number,
): Promise<{ ids: string[]; failures: number }> {
  let failures = 0;
  const ends: Promise<void>[] = [];
  const ids = await pool(n, START_CONCURRENCY, async (i) => {
    const wid = await w.start(`${prefix}-tp-${i}`);
    ends.push(
      w.done(wid).catch((err: unknown) => {
        failures += 1;
        log(`${w.name} ${wid} failed: ${(err as Error).message}`);
      }),
    );
    return wid;
  });
  await Promise.all(ends);
  return { ids, failures };
}

export async function measureLoad(on: LoadTarget, w: Workload, counts: LoadCounts): Promise<LoadResult> {
  const prefix = `${w.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${runTag}`;
  for (let i = 0; i < counts.warm; i++) await w.done(await w.start(`${prefix}-warm-${i}`));

  // Latency at low load: one run at a time, submit to completion as a client sees it.
  const latencies: number[] = [];
  for (let i = 0; i < counts.latency; i++) {
    const t0 = performance.now();
    await w.done(await w.start(`${prefix}-lat-${i}`));
    latencies.push(performance.now() - t0);
  }

  // Throughput at saturation: wall time from the first start until the last one ended.
  const n = counts.throughput;
  const [{ ids, failures }, usage] = await metered(on.serverPid, () => saturate(w, prefix, n));
  const result: LoadResult = {
    name: w.name,
    latencyMs: summarize(latencies),
    throughput: { count: n, perMinute: perMinute(n - failures, usage.wallMs), failures, usage },
    historyEvents: summarize(await historyLengths(on.client, sampleEvenly(ids))),
    cpuSecondsPer1k: perThousand(usage.cpuSeconds, n),
    serverCpuSecondsPer1k: perThousand(usage.serverCpuSeconds, n),
    settledAfter: await settledMemory(),
    workflows: counts.warm + counts.latency + n,
  };
  log(
    `${w.name}: p50 ${fmt(result.latencyMs.p50)} ms, ${fmt(result.throughput.perMinute, 0)}/min, ` +
      `${fmt(result.historyEvents.mean, 0)} events`,
  );
  return result;
}

/** The report's main table: one row per measured load, the plans' rows beside them. */
export function runsTable(rows: string[][]): Table {
  return {
    id: 'runs',
    columns: [
      'scenario',
      'latency p50 / p95 / p99 (ms)',
      'throughput (contracts/min)',
      'history events / contract',
      'process CPU-s / 1k',
      'server CPU-s / 1k',
      'peak RSS (MB)',
      'settled RSS after (MB)',
    ],
    rows,
  };
}

export function runsRow(s: LoadResult): string[] {
  const ms = (x: number) => fmt(x, 1);
  const { latencyMs: l, throughput: t } = s;
  return [
    s.name,
    `${ms(l.p50)} / ${ms(l.p95)} / ${ms(l.p99)} (n=${l.n})`,
    `${fmt(t.perMinute, 0)} (n=${t.count}${t.failures ? `, ${t.failures} failed` : ''})`,
    fmt(s.historyEvents.mean, 0),
    fmt(s.cpuSecondsPer1k),
    fmt(s.serverCpuSecondsPer1k),
    fmt(t.usage.peakRssMb, 0),
    fmt(s.settledAfter.rssMb, 0),
  ];
}
