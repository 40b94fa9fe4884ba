// Lever of the plan's shape: DAG nodes as child workflows (what plans do) against the same
// contract-sized work (CONTRACT_STEPS no-op local steps per node) inside one workflow.
import type { Bench } from '../harness/bench.js';
import { historyLengths } from '../harness/load.js';
import { metered } from '../harness/resources.js';
import type { Scenario } from '../harness/scenario.js';
import { log, PLAN_MAX_PARALLEL, runTag } from '../harness/settings.js';
import { fmt, perMinute, perThousand } from '../stats.js';
import { CONTRACT_STEPS, type FanOutInput } from '../workflows.js';

export interface FanOutResult {
  type: 'fanOutChildren' | 'fanOutInWorkflow';
  nodes: number;
  wallMs: number;
  /** History events of the parent, and of parent and children together. */
  parentEvents: number;
  totalEvents: number;
  cpuSecondsPer1k: number;
  serverCpuSecondsPer1k: number;
}

/** One fan-out of `nodes` nodes, PLAN_MAX_PARALLEL at a time. */
async function measureFanOut(bench: Bench, type: FanOutResult['type'], nodes: number): Promise<FanOutResult> {
  const workflowId = `${type}-${runTag}`;
  const input: FanOutInput = { nodes, steps: CONTRACT_STEPS.length, maxParallel: PLAN_MAX_PARALLEL };
  const [, usage] = await metered(bench.serverPid, async () => {
    await bench.client.workflow.execute(type, { taskQueue: bench.bareQueue, workflowId, args: [input] });
  });
  const parentEvents = (await bench.client.workflow.getHandle(workflowId).describe()).historyLength;
  const childIds =
    type === 'fanOutChildren' ? Array.from({ length: nodes }, (_, i) => `${workflowId}/${i}`) : [];
  const children = await historyLengths(bench.client, childIds);
  log(`${type}: ${nodes} nodes in ${fmt(usage.wallMs / 1000)} s, ${parentEvents} parent events`);
  return {
    type,
    nodes,
    wallMs: usage.wallMs,
    parentEvents,
    totalEvents: parentEvents + children.reduce((a, b) => a + b, 0),
    cpuSecondsPer1k: perThousand(usage.cpuSeconds, nodes),
    serverCpuSecondsPer1k: perThousand(usage.serverCpuSeconds, nodes),
  };
}

const RUN_AS = {
  fanOutChildren: 'child workflows (as plans run them)',
  fanOutInWorkflow: 'local steps inside the parent',
} as const;

export const fanOut: Scenario<FanOutResult[]> = {
  key: 'fanOut',
  run: async (bench) => {
    const nodes = bench.counts.fanOut;
    log(`fan-out: ${nodes} nodes as child workflows and inside one workflow`);
    const results: FanOutResult[] = [];
    for (const type of ['fanOutChildren', 'fanOutInWorkflow'] as const) {
      results.push(await measureFanOut(bench, type, nodes));
    }
    return results;
  },
  report: (fs) => ({
    tables: [
      {
        id: 'fanOut',
        heading:
          `DAG nodes: child workflows or inside one workflow ` +
          `(${fs[0]?.nodes ?? 0} contract-sized nodes, ${PLAN_MAX_PARALLEL} at a time)`,
        columns: [
          'nodes run as',
          'wall (s)',
          'nodes/min',
          'history events (parent / all)',
          'process CPU-s / 1k',
          'server CPU-s / 1k',
        ],
        rows: fs.map((f) => [
          RUN_AS[f.type],
          fmt(f.wallMs / 1000),
          fmt(perMinute(f.nodes, f.wallMs), 0),
          `${f.parentEvents} / ${f.totalEvents}`,
          fmt(f.cpuSecondsPer1k),
          fmt(f.serverCpuSecondsPer1k),
        ]),
      },
    ],
  }),
};
