// Queue depth: how many activity tasks wait in a task queue, and who polls it. Used by
// `arbiter agents` for each agent's queue, and reusable by metrics exporters.
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';

const { temporal } = proto;

export interface QueueDepth {
  queue: string;
  /** Activity tasks waiting to start (approximate: the server converges on the true count). */
  backlog: number;
  /** Seconds the oldest waiting task has waited; 0 when nothing waits. */
  oldestWaitingSeconds: number;
  /** Tasks per second added and dispatched, averaged by the server over its last 30 s. */
  addRate: number;
  dispatchRate: number;
  /** Workers polling the queue for activity tasks now. */
  pollers: number;
}

/**
 * DescribeTaskQueue with stats for the activity side of `queue` (Temporal ≥ 1.27 answers
 * `report_stats` in the default mode; the dev server does).
 */
export async function queueDepth(
  client: Client,
  queue: string,
  namespace = client.options.namespace,
): Promise<QueueDepth> {
  const res = await client.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: queue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    reportStats: true,
  });
  const stats = res.stats;
  const age = stats?.approximateBacklogAge;
  return {
    queue,
    backlog: Number(stats?.approximateBacklogCount ?? 0),
    oldestWaitingSeconds: age ? Number(age.seconds ?? 0) + (age.nanos ?? 0) / 1e9 : 0,
    addRate: stats?.tasksAddRate ?? 0,
    dispatchRate: stats?.tasksDispatchRate ?? 0,
    pollers: res.pollers?.length ?? 0,
  };
}
