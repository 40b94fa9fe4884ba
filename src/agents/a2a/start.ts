// How a call gets the task it follows. A first attempt sends the contract. A retried attempt
// follows the task its predecessor named in its heartbeats or, when it crashed before the first
// heartbeat, the task a 1.0 server lists in the call's context (whose id is derived from the
// idempotency key): the work is sent once, whichever worker runs the attempt. A task that ended
// badly is done over with a message id of its own; a task the agent lost is done over once.
// A person's answer goes on the task that asked, never as a second message for the same question.
import { TaskState, type Message, type Task } from '@a2a-js/sdk';
import type { AgentCall } from '../types.js';
import type { CallProgress } from './callProgress.js';
import type { A2aConnection } from './client.js';
import { messageIdFor, replyMessageIdFor, retryMessageIdFor } from './ids.js';
import { contractMessage, replyParts, userMessage } from './parts.js';
import type { A2aProgress, A2aReply } from './progress.js';
import { isInterrupted, stateName, statusKey, type TaskStateName } from './states.js';

/** The agent's first answer on the task, and the question it no longer asks (already answered). */
export interface OpenedTask {
  first: Message | Task;
  staleQuestion?: string;
}

export interface Opening {
  call: AgentCall;
  skill: string | undefined;
  /** The conversation the call speaks in. */
  contextId: string;
  /** What the previous attempt heartbeated, if it got that far. */
  resumed: A2aProgress | undefined;
}

const endedBadly = (s: TaskStateName): boolean => s === 'failed' || s === 'canceled' || s === 'rejected';

export async function startOrResume(
  conn: A2aConnection,
  progress: CallProgress,
  { call, skill, contextId, resumed }: Opening,
): Promise<OpenedTask> {
  const earlier = await earlierTask(conn, call, resumed, contextId);
  if (earlier && !endedBadly(stateName(earlier.status?.state))) return { first: earlier };
  // Noted for the trail, not heartbeated: the first heartbeat of this attempt must name the new
  // task (later ones are throttled, and a crash in between would lose it).
  if (earlier) progress.note(earlier);
  const key = call.idempotencyKey;
  const messageId = earlier ? retryMessageIdFor(key, earlier.id) : messageIdFor(key);
  return { first: await conn.send(contractMessage(call, { messageId, contextId }, skill)) };
}

/** The task a previous attempt of this call started, as far as it can be known. */
async function earlierTask(
  conn: A2aConnection,
  call: AgentCall,
  resumed: A2aProgress | undefined,
  contextId: string,
): Promise<Task | undefined> {
  if (resumed) {
    return conn.getTask(resumed.taskId).catch((err: unknown) => {
      // The agent lost the task (restarted without its store): it is done over, once.
      if (isTaskNotFound(err)) return lostTask(resumed.taskId);
      throw err;
    });
  }
  return call.attempt > 1 ? conn.newestTaskOf(contextId) : undefined;
}

const isTaskNotFound = (err: unknown): boolean =>
  (err as Error).name === 'TaskNotFoundError' || /task not found/i.test((err as Error).message ?? '');

/** A task the agent no longer knows, seen as failed: a retry starts a new one. */
const lostTask = (id: string): Task => ({
  id,
  contextId: '',
  status: { state: TaskState.TASK_STATE_FAILED, message: undefined, timestamp: new Date().toISOString() },
  artifacts: [],
  history: [],
  metadata: undefined,
});

/**
 * Sends a person's answer as the next message on the task that asked. A task no longer waiting
 * already has it (a retried attempt finds that), so it is followed without sending again; the
 * reply's message id is derived from the task, so a server that deduplicates sees one answer.
 */
export async function answerQuestion(
  conn: A2aConnection,
  progress: CallProgress,
  reply: A2aReply,
  { key, contextId }: { key: string; contextId: string },
): Promise<OpenedTask> {
  const t = await conn.getTask(reply.taskId);
  if (!isInterrupted(progress.track(t))) return { first: t };
  const ids = { messageId: replyMessageIdFor(key, t.id), contextId: t.contextId || contextId, taskId: t.id };
  // Until the agent takes the answer, the task still shows the question it asked: not a new one.
  return { first: await conn.send(userMessage(ids, replyParts(reply.text))), staleQuestion: statusKey(t) };
}
