// One call's progress: the remote task it follows, every state that task was seen in (for the
// trail), and the heartbeats that carry both. The heartbeat details are how a retried attempt on
// another worker finds the task to follow, so the first heartbeat naming a task goes out at once
// instead of waiting for the next tick.
import type { Task } from '@a2a-js/sdk';
import type { A2aProgress, A2aRemote, StateChange } from './progress.js';
import { stateName, type TaskStateName } from './states.js';

/** A send that has not answered by then heartbeats without details, so the attempt stays alive. */
const SLOW_SEND_MS = 3_000;

export interface HeartbeatSink {
  heartbeat(details?: A2aProgress): void;
}

export class CallProgress {
  private followed?: Task;
  private readonly states: StateChange[];
  private details?: A2aProgress;
  private readonly started = Date.now();
  private timer?: ReturnType<typeof setInterval>;

  constructor(
    private readonly sink: HeartbeatSink,
    /** The states a previous attempt saw, so the trail keeps the whole story of the task. */
    earlierStates: readonly StateChange[],
  ) {
    this.states = [...earlierStates];
  }

  /** The task the call follows, once it is known. */
  get task(): Task | undefined {
    return this.followed;
  }

  /** Records the task's state when it changed, without following the task (a failed earlier one). */
  note(t: Task): TaskStateName {
    const name = stateName(t.status?.state);
    if (this.states.at(-1)?.state !== name) {
      this.states.push({ state: name, at: t.status?.timestamp || new Date().toISOString() });
    }
    return name;
  }

  /** Follows `t`: from now on the heartbeats name it. */
  track(t: Task): TaskStateName {
    const isNew = this.details?.taskId !== t.id;
    this.followed = t;
    const name = this.note(t);
    this.details = {
      protocol: 'a2a',
      taskId: t.id,
      ...(t.contextId ? { contextId: t.contextId } : {}),
      states: this.states,
    };
    if (isNew) this.sink.heartbeat(this.details);
    return name;
  }

  /** The remote task behind a result, for the trail. */
  remote(): A2aRemote {
    return { protocol: 'a2a', taskId: this.followed?.id ?? '', states: [...this.states] };
  }

  startHeartbeats(everyMs: number): void {
    this.timer = setInterval(() => {
      if (this.details) this.sink.heartbeat(this.details);
      else if (Date.now() - this.started > SLOW_SEND_MS) this.sink.heartbeat();
    }, everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
