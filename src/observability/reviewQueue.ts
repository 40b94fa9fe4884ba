// Queue sizes counted where they live, at most every few seconds however often Prometheus scrapes:
// the review queue in Temporal's visibility store (one count query per task queue), and each limited
// agent's backlog in its own task queue (DescribeTaskQueue stats).
import { Client } from '@temporalio/client';
import { equals, SEARCH_ATTRIBUTES as SA, WORKFLOW_TYPES } from '../shared/constants.js';
import type { NativeConnection } from '@temporalio/worker';
import { queueDepth } from './queueDepth.js';
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
    equals('WorkflowType', WORKFLOW_TYPES.contract),
    equals('TaskQueue', taskQueue),
    equals(SA.route, 'HUMAN_REVIEW'),
    equals('ExecutionStatus', 'Running'),
  ].join(' AND ');
}

/**
 * A sample taken at most every CACHE_MS however often Prometheus scrapes, and given up after
 * COUNT_TIMEOUT_MS: a scrape stays cheap, and a server that does not answer gives no sample rather
 * than a wrong one.
 */
export function cachedSample(sample: () => Promise<number>): QueueCounter {
  let last: { at: number; count: number | undefined } | undefined;
  return async () => {
    if (last && Date.now() - last.at < CACHE_MS) return last.count;
    let count: number | undefined;
    try {
      count = await Promise.race([
        sample(),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('timeout')), COUNT_TIMEOUT_MS).unref(),
        ),
      ]);
    } catch {
      count = undefined;
    }
    last = { at: Date.now(), count };
    return count;
  };
}

export function reviewQueueCounter(
  connection: NativeConnection,
  namespace: string,
  taskQueue: string,
): QueueCounter {
  const client = new Client({ connection, namespace });
  return cachedSample(async () => (await client.workflow.count(reviewQueueQuery(taskQueue))).count);
}

/** Agent calls waiting in a limited agent's own task queue (its backlog). */
export function agentBacklogCounter(
  connection: NativeConnection,
  namespace: string,
  queue: string,
): QueueCounter {
  const client = new Client({ connection, namespace });
  return cachedSample(async () => (await queueDepth(client, queue, namespace)).backlog);
}
