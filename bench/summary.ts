// What the report derives across scenarios: the worker's settled memory after each phase, and the
// ratios and targets the benchmark is judged by (docs/performance.md), in one list.
import type { Settled } from './harness/resources.js';
import type { Results } from './harness/scenario.js';
import type { Part, Target } from './report.js';
import { baselines } from './scenarios/baselines.js';
import { contract } from './scenarios/contract.js';
import { eagerStart } from './scenarios/eagerStart.js';
import { governance } from './scenarios/governance.js';
import { plans } from './scenarios/plans.js';
import { soak } from './scenarios/soak.js';
import { fmt, meets, ratio, slope } from './stats.js';

export interface Phase extends Settled {
  after: string;
  /** Workflows run so far, in this phase and the ones before it. */
  workflows: number;
}

/** Least-squares growth of settled RSS and main heap per 1,000 workflows (MB). */
function growthPer1k(points: (Settled & { workflows: number })[]) {
  const xs = points.map((x) => x.workflows);
  const per1k = (ys: number[]) => slope(xs, ys) * 1000;
  return { rss: per1k(points.map((x) => x.rssMb)), heap: per1k(points.map((x) => x.heapUsedMb)) };
}

/**
 * Settled memory after each phase of the main worker process, before the levers: the baselines
 * (on the bench worker), then S and the plans (on the Arbiter worker, `warm` from the end of S on).
 */
function memoryPhases(results: Results): { phases: Phase[]; warm: Phase[] } {
  const { B0, B0local } = results.get(baselines);
  const bare = [B0, B0local];
  const runs = [
    ...[...bare, results.get(contract)].map((s) => ({
      after: s.name,
      workflows: s.workflows,
      ...s.settledAfter,
    })),
    ...results
      .get(plans)
      .map((p) => ({ after: `DAG-${p.contracts}`, workflows: p.contracts + 1, ...p.settledAfter })),
  ];
  let total = 0;
  const phases = runs.map((r) => ({ ...r, workflows: (total += r.workflows) }));
  return { phases, warm: phases.slice(bare.length) };
}

const reported = (measure: string, value: number): Target => ({
  measure,
  value: fmt(value, 2),
  target: '(reported)',
  met: true,
});
const atMost = (measure: string, value: number, limit: number, target: string, digits: number): Target => ({
  measure,
  value: fmt(value, digits),
  target,
  met: meets(value, { atMost: limit }),
});
const flat = (measure: string, mbPer1k: number) => atMost(measure, mbPer1k, 10, 'flat (≤ 10)', 1);
const underMs = (measure: string, ms: number) => atMost(measure, ms, 1, '< 1 ms', 3);

function latencyAndThroughput(results: Results): Target[] {
  const { B0, B0local } = results.get(baselines);
  const S = results.get(contract);
  const eager = results.get(eagerStart);
  const failures =
    [B0, B0local, S].reduce((sum, x) => sum + x.throughput.failures, 0) +
    results.get(plans).reduce((sum, p) => sum + p.notSucceeded.length, 0);
  const rT = ratio(S.throughput.perMinute, B0.throughput.perMinute);
  const eagerRuns = eager.S.result.workflows + eager.B0local.result.workflows;
  return [
    reported('S / B0 latency p50', ratio(S.latencyMs.p50, B0.latencyMs.p50)),
    {
      measure: 'every contract succeeded (S, DAGs)',
      value: `${failures} not succeeded`,
      target: '0',
      met: failures === 0,
      gate: true,
    },
    atMost('S / B0-local latency p50', ratio(S.latencyMs.p50, B0local.latencyMs.p50), 1.25, '≤ 1.25', 2),
    reported(
      `S / B0-local latency p50, both started eagerly (${eager.eagerlyStarted} of ${eagerRuns} started eagerly)`,
      ratio(eager.S.result.latencyMs.p50, eager.B0local.result.latencyMs.p50),
    ),
    { measure: 'S / B0 throughput', value: fmt(rT, 2), target: '≥ 0.8', met: meets(rT, { atLeast: 0.8 }) },
    reported('S / B0-local throughput', ratio(S.throughput.perMinute, B0local.throughput.perMinute)),
  ];
}

function governanceAndStatus(results: Results): Target[] {
  // Judged on the median call: a mean on a shared 2-core machine mostly measures preemption.
  const g = results.get(governance);
  const ps = results.get(plans);
  const status = ps.find((p) => p.contracts >= 1000) ?? ps[ps.length - 1]!;
  const { statusWhileRunningMs: during, statusAfterMs: after } = status;
  return [
    underMs('policy evaluation per call, 1 agent (ms, p50)', g.policyOneAgent.p50),
    underMs(
      `policy evaluation per call, ${g.policyRepoAgents.agents} agents (ms, p50)`,
      g.policyRepoAgents.p50,
    ),
    underMs('classification per call (ms, p50)', g.classify.p50),
    atMost(
      `status of the ${status.contracts}-contract plan (ms, max of ${during.n} while running + ${after.n} after)`,
      Math.max(during.max, after.max),
      1000,
      '< 1000 ms',
      1,
    ),
  ];
}

function memory(results: Results, warm: Phase[]): Target[] {
  const phases = growthPer1k(warm);
  const s = results.get(soak);
  // Judged once the worker has warmed up: over the second half of the batches.
  const settledHalf = s.points.slice(Math.floor(s.points.length / 2));
  const soaked = growthPer1k(settledHalf);
  const contracts = s.batches * s.perBatch;
  return [
    flat(`settled RSS growth per 1k workflows (MB; slope over ${warm.length} phases from S on)`, phases.rss),
    flat('settled main-heap growth per 1k workflows (MB)', phases.heap),
    flat(
      `soak: settled RSS growth per 1k contracts over the last ${settledHalf.length} of ${s.batches} batches of ${s.perBatch} (MB)`,
      soaked.rss,
    ),
    flat('soak: settled main-heap growth per 1k contracts (MB)', soaked.heap),
    {
      measure: `soak: contracts not succeeded (of ${contracts})`,
      value: String(s.failures),
      target: '0',
      met: s.failures === 0,
    },
  ];
}

/** The memory table and every target, in the order the report prints them. */
export function summary(results: Results): { part: Part; phases: Phase[] } {
  const { phases, warm } = memoryPhases(results);
  const targets = [
    ...latencyAndThroughput(results),
    ...governanceAndStatus(results),
    ...memory(results, warm),
  ];
  const table = {
    id: 'memory',
    heading: 'Worker memory (settled: GC, pause, GC)',
    columns: ['after', 'workflows so far', 'RSS (MB)', 'main heap used (MB)'],
    rows: phases.map((x) => [x.after, String(x.workflows), fmt(x.rssMb, 0), fmt(x.heapUsedMb, 0)]),
  };
  return { part: { tables: [table], targets }, phases };
}
