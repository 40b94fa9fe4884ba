// Agent pools: one activities-only worker per agent with `limits` in agents.yaml, polling that
// agent's own task queue. Its slots bound how many calls run at once in this process, and the
// rate limit it sets on the queue bounds how many start per second across every worker. A burst
// of contracts therefore waits in the agent's queue (visible as backlog) instead of piling onto
// the agent. The main worker (src/worker.ts) runs everything else.
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { loadDeps } from '../activities/deps.js';
import { dataConverterFromEnv } from '../security/codec.js';
import { agentQueue } from '../shared/agent.js';
import { arbiterMetrics } from '../observability/arbiterMetrics.js';
import { agentBacklogCounter } from '../observability/reviewQueue.js';
import { observedActivities, type WorkerSetup } from '../worker.js';

export interface AgentPool {
  agentId: string;
  queue: string;
  worker: Worker;
}

/** Builds (does not run) the pools for `setup`'s agents; none when no agent declares limits. */
export async function createAgentPools(
  setup: WorkerSetup,
  connection: NativeConnection,
): Promise<AgentPool[]> {
  const deps = setup.deps ?? loadDeps(setup.config);
  const limited = [...deps.agents.values()].filter((a) => a.limits);
  if (limited.length === 0) return [];
  const activities = createActivities(deps);
  const dataConverter = dataConverterFromEnv(); // the same payload encryption as the main worker
  // The same metrics and tracing as the main worker: limited agents' calls run here.
  const activityInterceptors = await observedActivities(setup.config);
  return Promise.all(
    limited.map(async (agent) => {
      const queue = agentQueue(setup.config.taskQueue, agent.id);
      if (setup.config.metrics) {
        const count = agentBacklogCounter(connection, setup.config.namespace, queue);
        arbiterMetrics().agentQueues.set(agent.id, { queue, count });
      }
      const { maxConcurrent, perSecond } = agent.limits ?? {};
      const worker = await Worker.create({
        connection,
        namespace: setup.config.namespace,
        taskQueue: queue,
        // Only executeAgent is ever scheduled here; the full set keeps one definition of activities.
        activities,
        interceptors: { activity: activityInterceptors },
        ...(dataConverter ? { dataConverter } : {}),
        ...(maxConcurrent !== undefined ? { maxConcurrentActivityTaskExecutions: maxConcurrent } : {}),
        // Set by this worker's polls and enforced by the server for the whole queue.
        ...(perSecond !== undefined ? { maxTaskQueueActivitiesPerSecond: perSecond } : {}),
      });
      return { agentId: agent.id, queue, worker };
    }),
  );
}

/**
 * Runs the main worker and the pools until they stop (the SDK shuts every worker down on SIGINT and
 * SIGTERM). One stops, all stop: a worker without its pools would leave limited agents' calls
 * waiting, and pools without a worker serve nobody. Rejects with the first worker's error.
 */
export async function runWithPools(worker: Worker, pools: readonly AgentPool[]): Promise<void> {
  const all = [worker, ...pools.map((p) => p.worker)];
  const stopAll = () => {
    for (const w of all) if (w.getState() === 'RUNNING') w.shutdown();
  };
  const results = await Promise.allSettled(all.map((w) => w.run().finally(stopAll)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
