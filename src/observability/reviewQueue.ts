// The review queue size, counted where it lives: Temporal's visibility store, one count query per
// task queue, at most every few seconds however often Prometheus scrapes.
import { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { QueueCounter } from './arbiterMetrics.js';

/** Scrapes closer together than this reuse the last count. */
const CACHE_MS = 5_000;
const COUNT_TIMEOUT_MS = 2_000;

/**
 * Open contracts routed to a person. A contract keeps its route after approval while its agent
 * runs, so the count includes those few seconds of work after an approval; `arbiter reviews` lists
 * exactly who waits.
 */
export function reviewQueueQuery(taskQueue: string): string {
  return [
    `WorkflowType = "contractWorkflow"`,
    `TaskQueue = "${taskQueue.replace(/"/g, '\\"')}"`,
    `ArbiterRoute = "HUMAN_REVIEW"`,
    `ExecutionStatus = "Running"`,
  ].join(' AND ');
}

export function reviewQueueCounter(
  connection: NativeConnection,
  namespace: string,
  taskQueue: string,
): QueueCounter {
  const client = new Client({ connection, namespace });
  let last: { at: number; count: number | undefined } | undefined;
  return async () => {
    if (last && Date.now() - last.at < CACHE_MS) return last.count;
    let count: number | undefined;
    try {
      const counted = await Promise.race([
        client.workflow.count(reviewQueueQuery(taskQueue)),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('timeout')), COUNT_TIMEOUT_MS).unref(),
        ),
      ]);
      count = counted.count;
    } catch {
      // Server unreachable or connection closed: no sample rather than a wrong one.
      count = undefined;
    }
    last = { at: Date.now(), count };
    return count;
  };
}
