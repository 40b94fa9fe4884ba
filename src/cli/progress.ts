// `submit --wait`: follows a contract or plan until it ends, printing one line on stderr per
// change of state (a contract's step, or a plan contract's status), so it reads the same on a
// terminal and in a CI log. It polls the state rather than long-polling the result, because a
// request in words becomes its plan through continue-as-new and the state covers both.
import { setTimeout as sleep } from 'node:timers/promises';
import { isPlanState, type Arbiter, type RunState } from '../client.js';
import { addressOf } from '../config/settings.js';
import { unreachable } from '../config/connection.js';
import { ArbiterError } from '../shared/errors.js';
import { isUnavailable } from './unavailable.js';

/** How long `--wait` keeps polling a Temporal server that does not answer before exit 3. */
const SERVER_GRACE_MS = Number(process.env.ARBITER_SERVER_GRACE_MS) || 30_000;
/** One state read; a server that answers nothing in this long counts as gone for that tick. */
const READ_DEADLINE_MS = 10_000;

function snapshot(s: RunState): Map<string, string> {
  if (!isPlanState(s)) {
    const agent = s.agentId ? ` (${s.agentId})` : '';
    return new Map([[s.workflowId, `${s.status}${agent}`]]);
  }
  const lines = new Map<string, string>([[s.workflowId, s.status]]);
  for (const n of s.nodes) lines.set(`  ${n.id}`, `${n.status}${n.reason ? `: ${n.reason}` : ''}`);
  return lines;
}

export const hasEnded = (s: RunState): boolean =>
  isPlanState(s) ? s.status === 'completed' || s.status === 'cancelled' : s.outcome !== undefined;

/**
 * The state once the run has ended, or when `timeoutMs` passes (then the current state). A status
 * read that fails (a worker restarting, the server busy) is retried on the next tick.
 */
export async function waitForEnd(
  arbiter: Arbiter,
  workflowId: string,
  opts: { print: boolean; timeoutMs?: number },
): Promise<RunState> {
  const seen = new Map<string, string>();
  const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
  let last: RunState | undefined;
  let serverGoneSince: number | undefined;
  for (;;) {
    // Each read is bounded: the SDK retries an unreachable server for a long while on its own.
    const read = arbiter.connection.withDeadline(Date.now() + READ_DEADLINE_MS, () =>
      arbiter.status(workflowId),
    );
    const state = await read.catch((err: unknown) => {
      // The run unknown is an answer; anything else is retried next tick. A server that went
      // away may be restarting (nothing is lost in Temporal), so it gets a grace period.
      if (err instanceof ArbiterError) throw err;
      if (!isUnavailable(err, true)) return undefined;
      serverGoneSince ??= Date.now();
      if (Date.now() - serverGoneSince > SERVER_GRACE_MS) throw unreachable(addressOf(arbiter.config), err);
      return undefined;
    });
    if (state) {
      serverGoneSince = undefined;
      last = state;
      if (opts.print) {
        for (const [key, value] of snapshot(state)) {
          if (seen.get(key) === value) continue;
          seen.set(key, value);
          process.stderr.write(`${key}: ${value}\n`);
        }
      }
      if (hasEnded(state)) return state;
    }
    if (Date.now() >= deadline) {
      if (last) return last;
      throw new ArbiterError('AWAITING_REVIEW', `${workflowId} did not report its state before --timeout`, [
        'is a worker running? start one with `npx arbiter worker` (or `npx arbiter dev`)',
      ]);
    }
    await sleep(500);
  }
}
