// Where and how one agent call runs: `executeAgent` in-process (a local activity) for builtin
// agents, on the agent's own task queue for agents with limits, else on the main queue; with the
// agent's timeout, retries and a heartbeat timeout for remote calls.
import {
  proxyActivities,
  proxyLocalActivities,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { ExecuteRequest, ExecuteResult } from '../../activities/execute.js';
import type { Selection } from '../../shared/decision.js';

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

const { executeAgent } = proxyActivities<Activities>({ startToCloseTimeout: '30s' });
const { executeAgent: executeInProcess } = proxyLocalActivities<Activities>({ startToCloseTimeout: '30s' });

/** Runs `request.agentId` as `selection` placed it; `summary` names the step in the Web UI. */
export function callAgent(
  selection: Selection,
  request: ExecuteRequest,
  summary: string,
): Promise<ExecuteResult> {
  const { agentId } = request;
  const timeoutMs = selection.timeoutsMs[agentId] ?? 30_000;
  const placement = selection.placement[agentId];
  if (placement?.inProcess) {
    const options: LocalActivityOptions = { startToCloseTimeout: timeoutMs, retry: AGENT_RETRY, summary };
    return executeInProcess.executeWithOptions(options, [request]);
  }
  const options: ActivityOptions = {
    startToCloseTimeout: timeoutMs,
    heartbeatTimeout: Math.min(AGENT_HEARTBEAT_MS, timeoutMs),
    retry: AGENT_RETRY,
    summary,
    ...(placement?.queue ? { taskQueue: placement.queue } : {}),
  };
  return executeAgent.executeWithOptions(options, [request]);
}
