// Where and how one agent call runs: the activity options for `executeAgent` on a given agent.
// Kept apart from the contract workflow so the placement rules (agent task queues with their own
// limits, in-process builtins) live in one place. Workflow code: deterministic, no I/O.
import { patched, type ActivityOptions, type LocalActivityOptions } from '@temporalio/workflow';
import type { Selection } from '../shared/decision.js';

/** Retries for one agent: transient failures are retried, then the next fallback is tried. */
export const AGENT_RETRY = {
  initialInterval: '500ms',
  backoffCoefficient: 2,
  maximumAttempts: 3,
  // An answer too big for a history will be too big on every retry.
  nonRetryableErrorTypes: ['PayloadsTooLarge'],
};

/**
 * How long a running remote call may go without a heartbeat before Temporal gives the attempt to
 * another worker. executeAgent heartbeats every second, so this notices a dead worker long before
 * a generous start-to-close timeout would, and heartbeats are what carry a cancellation to the call.
 */
export const AGENT_HEARTBEAT_MS = 10_000;

export type AgentCall =
  { local: false; options: ActivityOptions } | { local: true; options: LocalActivityOptions };

/** The options for running `agentId` from `selection`; `summary` names the step in the Web UI. */
export function agentCall(selection: Selection, agentId: string, summary: string): AgentCall {
  const timeoutMs = selection.timeoutsMs[agentId] ?? 30_000;
  const placement = selection.placement?.[agentId];
  // A local activity records a marker instead of scheduling an activity task: a different command,
  // so runs that scheduled it as an activity keep doing so on replay.
  if (placement?.inProcess && patched('in-process-builtins')) {
    return { local: true, options: { startToCloseTimeout: timeoutMs, retry: AGENT_RETRY, summary } };
  }
  // Neither the task queue nor the heartbeat timeout is compared on replay (sdk-core matches a
  // scheduled activity by id and type only), so these need no patch to replay; the queue is still
  // patched so that the first run to use agent queues is marked in its history.
  const queue = placement?.queue && patched('agent-queues') ? placement.queue : undefined;
  return {
    local: false,
    options: {
      startToCloseTimeout: timeoutMs,
      heartbeatTimeout: Math.min(AGENT_HEARTBEAT_MS, timeoutMs),
      retry: AGENT_RETRY,
      summary,
      ...(queue ? { taskQueue: queue } : {}),
    },
  };
}
