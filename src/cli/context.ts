// Shared helpers for commands: the client from the environment, and the exit code of a result.
import { Arbiter, isPlanState, type RunState } from '../client.js';
import { loadConfig } from '../config/settings.js';
import { EXIT } from '../shared/errors.js';

export async function withClient<T>(fn: (arbiter: Arbiter) => Promise<T>): Promise<T> {
  const arbiter = await Arbiter.connect(loadConfig());
  try {
    return await fn(arbiter);
  } finally {
    await arbiter.close();
  }
}

/** 0 succeeded, 1 failed or rejected, 4 not finished yet (waiting for review or still running). */
export function exitCodeOf(state: RunState): number {
  if (isPlanState(state)) {
    if (state.status !== 'completed') return state.status === 'cancelled' ? EXIT.failed : EXIT.awaitingReview;
    return state.nodes.every((n) => n.status === 'succeeded') ? EXIT.ok : EXIT.failed;
  }
  if (state.outcome === undefined) return EXIT.awaitingReview;
  return state.outcome === 'SUCCEEDED' ? EXIT.ok : EXIT.failed;
}
