// DAG-n: `Arbiter.submitPlan` of a seeded layered DAG of S contracts (dependency-aware, maxParallel
// 100), with the plan's status asked for while it runs (planStatus.ts). 1,000 only in full runs.
import type { Plan, PlanState } from '../../src/client.js';
import { contractWorkflowId, planWorkflowId } from '../../src/shared/constants.js';
import type { Bench } from '../harness/bench.js';
import { historyLengths, runsTable, sampleEvenly } from '../harness/load.js';
import { metered, settledMemory, type Settled, type Usage } from '../harness/resources.js';
import type { Scenario } from '../harness/scenario.js';
import { log, PLAN_MAX_PARALLEL, runTag } from '../harness/settings.js';
import { benchContract } from '../harness/workloads.js';
import { fmt, layeredDag, perMinute, perThousand, summarize, type Summary } from '../stats.js';
import { pollIntervalMs, statusAfter, statusWhileRunning } from './planStatus.js';

// Shallow on purpose: the report agent echoes its input, so a contract's output holds its
// prerequisites' outputs and payloads grow about (dependencies per contract)^(depth).
const LAYERS = 5;
const MAX_DEPENDENCIES = 2;

export interface PlanResult {
  contracts: number;
  layers: number;
  maxParallel: number;
  wallMs: number;
  perMinute: number;
  succeeded: number;
  notSucceeded: { id: string; status: string; reason: string }[];
  planRuns: number;
  childHistoryEvents: Summary;
  planHistoryEventsPerContract: number;
  statusWhileRunningMs: Summary;
  statusAfterMs: Summary;
  cpuSecondsPer1k: number;
  serverCpuSecondsPer1k: number;
  usage: Usage;
  settledAfter: Settled;
}

function benchPlan(n: number): Plan {
  return {
    id: `dag-${n}-${runTag}`,
    title: `Benchmark DAG of ${n} contracts`,
    strategy: 'dependency-aware',
    maxParallel: PLAN_MAX_PARALLEL,
    contracts: layeredDag(n, LAYERS, 20261127 + n, MAX_DEPENDENCIES).map((x) =>
      benchContract(x.id, x.dependsOn),
    ),
  };
}

/** Runs the plan to its end, asking for its status meanwhile; metered. */
async function runPlan(bench: Bench, plan: Plan) {
  const interval = pollIntervalMs(plan.contracts.length, bench.counts.statusPolls);
  return metered(bench.serverPid, async () => {
    await bench.arbiter.submitPlan(plan);
    const handle = bench.client.workflow.getHandle(planWorkflowId(plan.id));
    const ended = handle.result().then((r) => r as PlanState);
    const statusMs = await statusWhileRunning(bench.arbiter, plan.id, ended, interval);
    return { final: await ended, statusMs };
  });
}

async function measurePlan(bench: Bench, n: number): Promise<PlanResult> {
  const plan = benchPlan(n);
  const [{ final, statusMs }, usage] = await runPlan(bench, plan);
  const statusAfterMs = await statusAfter(bench.arbiter, plan.id);
  const succeeded = final.nodes.filter((x) => x.status === 'succeeded').length;
  // Not all succeeded: recorded, reported and (in --quick) a failed run; the figures stay honest.
  const notSucceeded = final.nodes
    .filter((x) => x.status !== 'succeeded')
    .map((x) => ({ id: x.id, status: x.status, reason: x.reason ?? '' }));
  for (const x of notSucceeded.slice(0, 5)) log(`DAG-${n}: ${x.id} ${x.status}: ${x.reason}`);
  const sample = sampleEvenly(plan.contracts).map((c) => contractWorkflowId(c.id, plan.id));
  const planEvents = (await bench.client.workflow.getHandle(planWorkflowId(plan.id)).describe())
    .historyLength;
  return {
    contracts: n,
    layers: LAYERS,
    maxParallel: PLAN_MAX_PARALLEL,
    wallMs: usage.wallMs,
    perMinute: perMinute(succeeded, usage.wallMs),
    succeeded,
    notSucceeded,
    planRuns: final.runs,
    childHistoryEvents: summarize(await historyLengths(bench.client, sample)),
    // The last run's history only: earlier runs of a rolled-over plan are not counted.
    planHistoryEventsPerContract: planEvents / n,
    statusWhileRunningMs: summarize(statusMs),
    statusAfterMs: summarize(statusAfterMs),
    cpuSecondsPer1k: perThousand(usage.cpuSeconds, n),
    serverCpuSecondsPer1k: perThousand(usage.serverCpuSeconds, n),
    usage,
    settledAfter: await settledMemory(),
  };
}

function planRow(p: PlanResult): string[] {
  const failed = p.notSucceeded.length ? `, **${p.notSucceeded.length} not succeeded**` : '';
  return [
    `DAG-${p.contracts} (${p.layers} layers, maxParallel ${p.maxParallel})`,
    `plan wall ${fmt(p.wallMs / 1000)} s`,
    `${fmt(p.perMinute, 0)} (n=${p.contracts}${failed})`,
    `${fmt(p.childHistoryEvents.mean, 0)} + ${fmt(p.planHistoryEventsPerContract)} (plan)`,
    fmt(p.cpuSecondsPer1k),
    fmt(p.serverCpuSecondsPer1k),
    fmt(p.usage.peakRssMb, 0),
    fmt(p.settledAfter.rssMb, 0),
  ];
}

export const plans: Scenario<PlanResult[]> = {
  key: 'plans',
  run: async (bench) => {
    const results: PlanResult[] = [];
    for (const n of bench.counts.plans) {
      log(`DAG of ${n} contracts`);
      const p = await measurePlan(bench, n);
      log(
        `DAG-${n}: ${fmt(p.wallMs / 1000)} s, ${fmt(p.perMinute, 0)}/min, status p50 ` +
          `${fmt(p.statusWhileRunningMs.p50)} ms (max ${fmt(p.statusWhileRunningMs.max)} ms)`,
      );
      results.push(p);
    }
    return results;
  },
  report: (ps) => ({ tables: [runsTable(ps.map(planRow))] }),
};
