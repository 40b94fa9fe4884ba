// A contract's trail from its history when no worker can answer a query (it is cancelled, failed,
// or its workers are down): the history is replayed through the workflow code itself, here in this
// process, exactly as a worker rebuilds a workflow it did not have cached. Each trail event the
// workflow records comes out through its `trail` sink; the events are then folded by the same
// applyEvent the workflow uses. Nothing here knows the workflow's logic, so nothing can drift.
import type { History } from '@temporalio/common/lib/proto-utils.js';
import type { TrailEvent } from '../shared/decision.js';
import { ArbiterError } from '../shared/errors.js';

export interface WorkflowBundle {
  codePath: string;
}

/** The sink a replay collects events through; `collect` receives each event with its workflow id. */
export function trailSink(collect: (workflowId: string, event: TrailEvent) => void) {
  return {
    trail: {
      record: {
        fn: (info: { workflowId: string }, event: TrailEvent) => collect(info.workflowId, event),
        callDuringReplay: true,
      },
    },
  };
}

/** What a live worker registers: the events are in the workflow's state already. */
export const liveTrailSink = {
  trail: { record: { fn: () => undefined, callDuringReplay: false } },
};

/**
 * The trail events of one history, by replaying it on `bundle`. `workflowId` must be the run's own
 * (the workflow records it). Payloads must already be decoded (see decodeHistory).
 */
export async function replayTrail(
  history: History,
  workflowId: string,
  bundle: WorkflowBundle,
): Promise<TrailEvent[]> {
  const events: TrailEvent[] = [];
  // The worker SDK (native core, webpack) only for a replay: `status`, `reviews` and `approve` on a
  // live contract never need it.
  const { Worker } = await import('@temporalio/worker');
  try {
    await Worker.runReplayHistory(
      { workflowBundle: bundle, sinks: trailSink((_id, e) => events.push(e)), replayName: 'arbiter-audit' },
      history,
      workflowId,
    );
  } catch (err) {
    throw new ArbiterError(
      'NOT_SUPPORTED',
      `cannot read ${workflowId} from its history: it does not replay on this version of Arbiter's workflow code`,
      [
        (err as Error).message.split('\n')[0] ?? '',
        'its history is still in Temporal: open it in the Web UI, or run `arbiter audit` with the version that ran it',
      ],
    );
  }
  return events;
}
