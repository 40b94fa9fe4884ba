// Where and how one agent call runs: the activity options for `executeAgent` on a given agent.
// Kept apart from the contract workflow so the placement rules (agent task queues with their own
// limits, in-process builtins) live in one place. Workflow code: deterministic, no I/O.
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import type { Selection } from '../shared/decision.js';

/** Retries for one agent: transient failures are retried, then the next fallback is tried. */
export const AGENT_RETRY = {
  initialInterval: '500ms',
  backoffCoefficient: 2,
  maximumAttempts: 3,
  // An answer too big for a history will be too big on every retry.
  nonRetryableErrorTypes: ['PayloadsTooLarge'],
};

export type AgentCall =
  { local: false; options: ActivityOptions } | { local: true; options: LocalActivityOptions };

/** The options for running `agentId` from `selection`; `summary` names the step in the Web UI. */
export function agentCall(selection: Selection, agentId: string, summary: string): AgentCall {
  return {
    local: false,
    options: {
      startToCloseTimeout: selection.timeoutsMs[agentId] ?? 30_000,
      retry: AGENT_RETRY,
      summary,
    },
  };
}
