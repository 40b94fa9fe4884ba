// One executeAgent attempt on an A2A agent, top to bottom: connect (the agent's card and the
// client for the interface it offers); start the task, follow the one a crashed attempt started,
// or put a person's answer on the task that asked; follow it to an end state; and, when the
// contract was cancelled, cancel the remote task too. The work is sent without waiting for it
// (non-blocking) and followed with `tasks/get` while the attempt heartbeats the task id, so a
// worker's death costs a heartbeat timeout, not a second run of the work.
import type { Task } from '@a2a-js/sdk';
import { agentFailure } from '../../shared/failures.js';
import type { A2aEndpoint } from '../../shared/agent.js';
import type { AgentCall } from '../types.js';
import { callFailure } from './callFailure.js';
import { CallProgress } from './callProgress.js';
import { connect, type A2aConnection } from './client.js';
import { authHeaders } from './fetchCard.js';
import { followTask } from './follow.js';
import { contextIdFor } from './ids.js';
import { resumedProgress, type A2aProgress, type A2aReply, type A2aResult } from './progress.js';
import { answerQuestion, startOrResume } from './start.js';
import { isTerminal, stateName } from './states.js';

/** How often a followed task is polled and the attempt heartbeats (at most). */
export const A2A_POLL_MS = 1_000;
/** A cancelled contract's task is cancelled on a short leash: the attempt is over either way. */
const CANCEL_TIMEOUT_MS = 5_000;

export interface A2aHooks {
  /** What the previous attempt heartbeated (`Context.current().info.heartbeatDetails`). */
  resumed?: unknown;
  heartbeat(details?: A2aProgress): void;
  /**
   * True when the attempt was cancelled because nobody wants its work any more (the contract was
   * cancelled, or its workflow is gone), as opposed to a worker shutdown or a timeout, after which
   * another attempt follows the same task.
   */
  workAbandoned(): boolean;
  env?: NodeJS.ProcessEnv;
  pollMs?: number;
}

export async function runA2a(
  call: AgentCall,
  reply: A2aReply | undefined,
  hooks: A2aHooks,
): Promise<A2aResult> {
  const endpoint = call.agent.endpoint;
  if (endpoint.kind !== 'a2a') throw agentFailure('refused', 'not an a2a agent');
  const env = hooks.env ?? process.env;
  const who = `agent ${call.agent.id}`;
  const pollMs = hooks.pollMs ?? A2A_POLL_MS;
  const headers = headersOf(endpoint, env, who);
  const resumed = resumedProgress(hooks.resumed);
  // Every attempt of the call speaks in one conversation, so a later one can find what it started.
  const contextId = reply?.contextId ?? resumed?.contextId ?? contextIdFor(call.idempotencyKey);
  const progress = new CallProgress(hooks, resumed?.states ?? []);
  progress.startHeartbeats(Math.min(pollMs, A2A_POLL_MS));
  let conn: A2aConnection | undefined;
  try {
    conn = await connect(endpoint, { env, headers, signal: call.signal });
    const opened = reply
      ? await answerQuestion(conn, progress, reply, { key: call.idempotencyKey, contextId })
      : await startOrResume(conn, progress, { call, skill: endpoint.skill, contextId, resumed });
    return await followTask(conn, progress, opened, { who, pollMs, signal: call.signal });
  } catch (err) {
    let task = progress.task;
    if (call.signal.aborted && hooks.workAbandoned() && conn) {
      // Only a call that sent the contract can have started a task it has not seen yet; an
      // answer's task is known by its id.
      task = await cancelRemote(conn, progress, reply ? undefined : contextId);
    }
    throw callFailure(err, who, task);
  } finally {
    progress.stop();
  }
}

/** The auth header, read from the environment; an unset variable is refused before any request. */
function headersOf(endpoint: A2aEndpoint, env: NodeJS.ProcessEnv, who: string): Record<string, string> {
  try {
    return authHeaders(endpoint, env);
  } catch (err) {
    throw agentFailure('refused', `${who}: ${(err as Error).message}`);
  }
}

/**
 * The contract was cancelled: so is the work it asked for, rather than left running on the agent.
 * Cancelled while the first message was on its way, the task may exist unseen: a 1.0 server lists
 * it by the call's context. Returns the task, for the failure message.
 */
async function cancelRemote(
  conn: A2aConnection,
  progress: CallProgress,
  lookInContext: string | undefined,
): Promise<Task | undefined> {
  const quick = AbortSignal.timeout(CANCEL_TIMEOUT_MS);
  const t = progress.task ?? (lookInContext ? await conn.newestTaskOf(lookInContext, quick) : undefined);
  if (t && !isTerminal(stateName(t.status?.state))) {
    await conn
      .cancel(t.id, quick)
      .then((after) => progress.note(after))
      .catch(() => undefined);
  }
  return t;
}
