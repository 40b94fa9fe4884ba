// Following a task to the end of this attempt: polled with back-off, so a quick task is seen
// quickly and a long one is asked about once per poll interval. An end state becomes the output
// or one of Arbiter's failure categories (which decide retry, fallback, circuit breaker and the
// trust ledger); a task waiting for its client hands its question back, because the activity never
// waits for a person itself: the workflow asks one.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Message, Task } from '@a2a-js/sdk';
import { agentFailure } from '../../shared/failures.js';
import type { CallProgress } from './callProgress.js';
import type { A2aConnection } from './client.js';
import { clip, statusText, taskOutput, valueOf } from './parts.js';
import type { A2aResult } from './progress.js';
import type { OpenedTask } from './start.js';
import { isInterrupted, stateName, statusKey } from './states.js';

/** A question is shown to a person and kept in the history: the agent's words, bounded. */
const MAX_QUESTION_CHARS = 4_000;

export interface Following {
  /** Who is called, as failure messages name it. */
  who: string;
  pollMs: number;
  signal: AbortSignal;
}

const isTask = (r: Message | Task): r is Task => 'status' in r && 'artifacts' in r;

export async function followTask(
  conn: A2aConnection,
  progress: CallProgress,
  { first, staleQuestion }: OpenedTask,
  { who, pollMs, signal }: Following,
): Promise<A2aResult> {
  if (!isTask(first)) return messageOutput(first, who, progress);
  let t = first;
  progress.track(t);
  for (let polls = 0; ; polls += 1) {
    const result = resultOf(t, progress, who, staleQuestion);
    if (result) return result;
    await sleep(Math.min(pollMs, 100 * 2 ** polls), undefined, { signal });
    t = await conn.getTask(t.id);
    progress.track(t);
  }
}

/** The agent answered with a message and no task: the answer is the output. */
function messageOutput(answer: Message, who: string, progress: CallProgress): A2aResult {
  const value = valueOf(answer.parts);
  if (!value.found)
    throw agentFailure('invalid-output', `${who}: the agent's answer has no data or text part`);
  return { kind: 'output', output: value.value, ...(progress.task ? { remote: progress.remote() } : {}) };
}

/** What the task's state means for this attempt; undefined while the task is still at work. */
function resultOf(
  t: Task,
  progress: CallProgress,
  who: string,
  staleQuestion: string | undefined,
): A2aResult | undefined {
  const state = stateName(t.status?.state);
  const why = statusText(t);
  const said = why ? `: ${clip(why)}` : '';
  switch (state) {
    case 'completed': {
      const out = taskOutput(t);
      if (!out.found) {
        throw agentFailure(
          'invalid-output',
          `${who}: A2A task ${t.id} completed with no data or text artifact`,
        );
      }
      return { kind: 'output', output: out.value, remote: progress.remote() };
    }
    case 'failed':
      throw agentFailure('agent-error', `${who}: A2A task ${t.id} failed${said}`);
    case 'rejected':
      throw agentFailure('refused', `${who}: A2A task ${t.id} was rejected${said}`);
    case 'canceled':
      throw agentFailure('agent-error', `${who}: A2A task ${t.id} was canceled${said}`);
  }
  if (!isInterrupted(state) || statusKey(t) === staleQuestion) return undefined;
  const asked = `the agent asks for ${state === 'auth-required' ? 'authentication' : 'input'} (no message given)`;
  const question = clip(why || asked, MAX_QUESTION_CHARS);
  return {
    kind: 'pending',
    pending: { state, taskId: t.id, ...(t.contextId ? { contextId: t.contextId } : {}), question },
    remote: progress.remote(),
  };
}
