// One executeAgent attempt on an A2A agent: send the contract as a message without waiting for the
// work (non-blocking), then follow the remote task with `tasks/get` until it completes, fails or
// waits for its client. The task id goes into the attempt's heartbeat details as soon as it is
// known, so an attempt that starts after a crash follows THE SAME task instead of sending a second
// message; with no details (the crash came first), a 1.0 server is asked for the tasks of the
// call's context, whose id is derived from the idempotency key.
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/common';
import { TaskState, type Message, type Task } from '@a2a-js/sdk';
import type { Client } from '@a2a-js/sdk/client';
import { agentFailure, type ErrorCategory } from '../../shared/failures.js';
import type { AgentCall } from '../types.js';
import { a2aClient } from './client.js';
import { AgentCardError } from './errors.js';
import { authHeaders, cachedCard } from './fetchCard.js';
import { guardedFetch } from './fetchGuard.js';
import { contextIdFor, messageIdFor, replyMessageIdFor, retryMessageIdFor } from './ids.js';
import { contractParts, replyParts, statusText, taskOutput, userMessage, valueOf } from './parts.js';
import {
  resumedProgress,
  type A2aPending,
  type A2aProgress,
  type A2aRemote,
  type A2aReply,
  type StateChange,
} from './progress.js';
import { isInterrupted, isTerminal, stateName, type TaskStateName } from './states.js';

/** How often a followed task is polled and the attempt heartbeats (at most). */
export const A2A_POLL_MS = 1_000;
/** A send that has not answered by then heartbeats without details, so the attempt stays alive. */
const SLOW_SEND_MS = 3_000;
const CANCEL_TIMEOUT_MS = 5_000;
const MAX_QUESTION_CHARS = 4_000;

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

export type A2aResult =
  | { kind: 'output'; output: unknown; remote?: A2aRemote }
  | { kind: 'pending'; pending: A2aPending; remote: A2aRemote };

const isTask = (r: Message | Task): r is Task => 'status' in r && 'artifacts' in r;

/** A status's identity: the same question seen again is not a new question. */
const statusKey = (t: Task): string =>
  `${t.status?.state ?? ''}|${t.status?.message?.messageId ?? ''}|${t.status?.timestamp ?? ''}`;

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

const clip = (s: string, n = 300): string => (s.length > n ? `${s.slice(0, n)}…` : s);

function categoryOf(err: unknown): ErrorCategory {
  const e = err as Error;
  if (e.name === 'AbortError' || e.name === 'TimeoutError') return 'timeout';
  if (err instanceof AgentCardError) return err.code === 'A2A_CARD_UNREACHABLE' ? 'server-error' : 'refused';
  const status = /Status: (\d{3})/.exec(e.message ?? '')?.[1];
  if (status === '429') return 'rate-limit';
  if (status?.startsWith('5')) return 'server-error';
  if (status) return 'refused';
  // Errors the agent answered with (JSON-RPC error objects) versus no answer at all.
  if (/Error$/.test(e.name) && e.name !== 'Error' && e.name !== 'TypeError') return 'agent-error';
  return 'server-error';
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
  const key = call.idempotencyKey;
  const pollMs = hooks.pollMs ?? A2A_POLL_MS;

  let headers: Record<string, string>;
  try {
    headers = authHeaders(endpoint, env);
  } catch (err) {
    throw agentFailure('refused', `${who}: ${(err as Error).message}`);
  }

  const resumed = resumedProgress(hooks.resumed);
  const states: StateChange[] = [...(resumed?.states ?? [])];
  let progress: A2aProgress | undefined;
  let task: Task | undefined;
  let client: Client | undefined;
  let findEarlier: ((signal: AbortSignal) => Promise<Task | undefined>) | undefined;
  const started = Date.now();

  const note = (t: Task): TaskStateName => {
    const name = stateName(t.status?.state);
    if (states.at(-1)?.state !== name) {
      states.push({ state: name, at: t.status?.timestamp || new Date().toISOString() });
    }
    return name;
  };
  const track = (t: Task): TaskStateName => {
    const first = progress?.taskId !== t.id;
    task = t;
    const name = note(t);
    progress = { protocol: 'a2a', taskId: t.id, ...(t.contextId ? { contextId: t.contextId } : {}), states };
    // The first heartbeat that names the task goes out at once: it is what a retried attempt reads.
    if (first) hooks.heartbeat(progress);
    return name;
  };
  const remote = (): A2aRemote => ({ protocol: 'a2a', taskId: task?.id ?? '', states: [...states] });
  const beat = setInterval(
    () => {
      if (progress) hooks.heartbeat(progress);
      else if (Date.now() - started > SLOW_SEND_MS) hooks.heartbeat();
    },
    Math.min(pollMs, A2A_POLL_MS),
  );

  try {
    const info = await cachedCard(endpoint, { env, headers, signal: call.signal });
    client = await a2aClient(info, guardedFetch({ card: new URL(endpoint.card), env, headers }));
    const c = client;
    const opts = () => ({ signal: call.signal });
    const getTask = (id: string) => c.getTask({ tenant: '', id, historyLength: 0 }, opts());
    const contextId = reply?.contextId ?? resumed?.contextId ?? contextIdFor(key);
    const send = async (message: Message): Promise<Message | Task> =>
      c.sendMessage(
        {
          tenant: '',
          message,
          configuration: {
            acceptedOutputModes: [],
            taskPushNotificationConfig: undefined,
            historyLength: 0,
            // Non-blocking: the answer is the task, and the work is followed with tasks/get.
            returnImmediately: true,
          },
          metadata: undefined,
        },
        opts(),
      );
    const startTask = async (messageId: string): Promise<Message | Task> =>
      send(
        userMessage({ messageId, contextId }, contractParts(call, endpoint.skill), {
          arbiter: { contractId: call.contract.id, idempotencyKey: key },
          ...(endpoint.skill ? { skill: endpoint.skill } : {}),
        }),
      );
    // The tasks an earlier attempt may have started in this call's context (1.0 servers only).
    const earlierTask = async (signal: AbortSignal = call.signal): Promise<Task | undefined> => {
      if (info.service.version !== '1.0') return undefined;
      try {
        const listed = await c.listTasks(
          {
            tenant: '',
            contextId,
            status: TaskState.TASK_STATE_UNSPECIFIED,
            pageSize: 10,
            pageToken: '',
            historyLength: 0,
            statusTimestampAfter: undefined,
          },
          { signal },
        );
        return [...listed.tasks].sort((a, b) =>
          (b.status?.timestamp ?? '').localeCompare(a.status?.timestamp ?? ''),
        )[0];
      } catch {
        return undefined; // a server without ListTasks: nothing to find
      }
    };
    findEarlier = earlierTask;
    const failedEarlier = (s: TaskStateName) => s === 'failed' || s === 'canceled' || s === 'rejected';

    let first: Message | Task;
    let staleQuestion: string | undefined;
    if (reply) {
      const t = await getTask(reply.taskId);
      const state = track(t);
      first = t;
      // Still waiting: the answer has not reached the task (a retried attempt may find it has).
      if (isInterrupted(state)) {
        staleQuestion = statusKey(t);
        first = await send(
          userMessage(
            { messageId: replyMessageIdFor(key, t.id), contextId: t.contextId || contextId, taskId: t.id },
            replyParts(reply.text),
          ),
        );
      }
    } else {
      const earlier = resumed
        ? await getTask(resumed.taskId).catch((err: unknown) => {
            // The agent lost the task (restarted without its store): it is done over, once.
            if (isTaskNotFound(err)) return lostTask(resumed.taskId);
            throw err;
          })
        : call.attempt > 1
          ? await earlierTask()
          : undefined;
      if (earlier && !failedEarlier(stateName(earlier.status?.state))) {
        first = earlier;
      } else {
        // Noted for the trail, not heartbeated: the first heartbeat of this attempt must name the
        // new task (later ones are throttled, and a crash in between would lose it).
        if (earlier) note(earlier);
        // A retry after a failed task starts a new task, with a message id of its own.
        first = await startTask(earlier ? retryMessageIdFor(key, earlier.id) : messageIdFor(key));
      }
    }
    if (!isTask(first)) {
      // The agent answered with a message and no task: the answer is the output.
      const value = valueOf(first.parts);
      if (!value.found)
        throw agentFailure('invalid-output', `${who}: the agent's answer has no data or text part`);
      return { kind: 'output', output: value.value, ...(task ? { remote: remote() } : {}) };
    }
    track(first);

    for (let polls = 0; ; polls += 1) {
      const t: Task = task!;
      const state = stateName(t.status?.state);
      const why = statusText(t);
      const said = why ? `: ${clip(why)}` : '';
      if (state === 'completed') {
        const out = taskOutput(t);
        if (!out.found) {
          throw agentFailure(
            'invalid-output',
            `${who}: A2A task ${t.id} completed with no data or text artifact`,
          );
        }
        return { kind: 'output', output: out.value, remote: remote() };
      }
      if (state === 'failed') throw agentFailure('agent-error', `${who}: A2A task ${t.id} failed${said}`);
      if (state === 'rejected') throw agentFailure('refused', `${who}: A2A task ${t.id} was rejected${said}`);
      if (state === 'canceled')
        throw agentFailure('agent-error', `${who}: A2A task ${t.id} was canceled${said}`);
      if (isInterrupted(state) && statusKey(t) !== staleQuestion) {
        // Shown to a person and kept in the history: the agent's words, bounded.
        const question = clip(
          why ||
            `the agent asks for ${state === 'auth-required' ? 'authentication' : 'input'} (no message given)`,
          MAX_QUESTION_CHARS,
        );
        return {
          kind: 'pending',
          pending: { state, taskId: t.id, ...(t.contextId ? { contextId: t.contextId } : {}), question },
          remote: remote(),
        };
      }
      // Quick tasks are seen quickly; long ones are polled once a second.
      await sleep(Math.min(pollMs, 100 * 2 ** polls), undefined, { signal: call.signal });
      track(await getTask(t.id));
    }
  } catch (err) {
    let t = task;
    if (call.signal.aborted && hooks.workAbandoned() && client) {
      // The contract was cancelled: so is the work it asked for. Cancelled while the first
      // message was on its way, the task may exist unseen: a 1.0 server lists it by context.
      const quick = AbortSignal.timeout(CANCEL_TIMEOUT_MS);
      if (!t && !reply && findEarlier) t = await findEarlier(quick);
      if (t && !isTerminal(stateName(t.status?.state))) {
        await client
          .cancelTask({ tenant: '', id: t.id, metadata: undefined }, { signal: quick })
          .then((after) => note(after))
          .catch(() => undefined);
      }
    }
    if (err instanceof ApplicationFailure) throw err;
    const at = t ? ` (A2A task ${t.id})` : '';
    throw agentFailure(categoryOf(err), `${who}${at}: ${clip((err as Error).message ?? String(err))}`);
  } finally {
    clearInterval(beat);
  }
}
