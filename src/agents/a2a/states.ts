// A2A task states by their protocol names (`input-required`, as the 0.3 wire and the docs spell
// them), so the trail and heartbeat details read the same whichever protocol version was spoken.
import { TaskState, type Task } from '@a2a-js/sdk';

export const TASK_STATES = [
  'unspecified',
  'submitted',
  'working',
  'completed',
  'failed',
  'canceled',
  'input-required',
  'rejected',
  'auth-required',
] as const;
export type TaskStateName = (typeof TASK_STATES)[number] | 'unknown';

export function stateName(state: TaskState | undefined): TaskStateName {
  if (state === undefined || state === TaskState.UNRECOGNIZED) return 'unknown';
  return TASK_STATES[state] ?? 'unknown';
}

/** States after which the task never changes again. */
export const isTerminal = (s: TaskStateName): boolean =>
  s === 'completed' || s === 'failed' || s === 'canceled' || s === 'rejected';

/** States in which the task waits for its client (a person, here) before it goes on. */
export const isInterrupted = (s: TaskStateName): s is 'input-required' | 'auth-required' =>
  s === 'input-required' || s === 'auth-required';

/** A status's identity: the same question seen again is not a new question. */
export const statusKey = (t: Task): string =>
  `${t.status?.state ?? ''}|${t.status?.message?.messageId ?? ''}|${t.status?.timestamp ?? ''}`;
