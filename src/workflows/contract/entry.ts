// How a contract run starts and stops: its input parsed at the door, the messages it listens to,
// and a cancellation recorded durably. The flow itself is in index.ts.
import { setHandler } from '@temporalio/workflow';
import { ContractInput } from '../../shared/contract.js';
import { cancelReasonSignal, CancelRequest, stateQuery } from '../../shared/messages.js';
import { invalidPayload, problemsOf } from '../../shared/problems.js';
import { acceptReviews } from './review.js';
import type { ContractRun } from './run.js';

/** The input as the schema takes it (defaults filled in), or a failed run naming each problem. */
export function admit(payload: unknown): ContractInput {
  const parsed = ContractInput.safeParse(payload);
  if (!parsed.success) throw invalidPayload('contract workflow input', parsed.error);
  return parsed.data;
}

/** The state query, review answers, and who cancels (a malformed cancel reason is ignored). */
export function listen(run: ContractRun): void {
  setHandler(stateQuery, () => run.state);
  acceptReviews(run);
  setHandler(cancelReasonSignal, (payload) => {
    const parsed = CancelRequest.safeParse(payload);
    if (parsed.success) run.cancelRequest = parsed.data;
    else {
      const problem = problemsOf(parsed.error).join('; ');
      run.record('signal-ignored', { signal: 'cancel-reason', problem, payload: payload });
    }
  });
}

/** The cancellation, durably: who and why, even though the workflow is being cancelled. */
export async function recordCancellation(run: ContractRun): Promise<void> {
  const by = run.cancelRequest;
  run.record('cancel-requested', by ? { by: by.by, reason: by.reason } : {});
  await run.finish('CANCELLED', by ? `cancelled by ${by.by}: ${by.reason}` : 'cancelled');
}
