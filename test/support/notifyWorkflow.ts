// A test-only workflow that runs the real `notify` activity once under a given retry policy and
// reports how it ended, so tests see what Temporal sees: the result, or the failure's type, whether
// it was retryable, and why retrying stopped.
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { NotifyRequest, NotifyResult } from '../../src/activities/notify.js';

export interface NotifyOutcome {
  result?: NotifyResult;
  failure?: { type: string | undefined; nonRetryable: boolean; message: string; retryState: string };
}

export async function notifyOnce(req: NotifyRequest, maximumAttempts: number): Promise<NotifyOutcome> {
  const { notify } = proxyActivities<{ notify(r: NotifyRequest): Promise<NotifyResult> }>({
    startToCloseTimeout: '60s',
    retry: { initialInterval: '50ms', backoffCoefficient: 1, maximumAttempts },
  });
  try {
    return { result: await notify(req) };
  } catch (err) {
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
      return {
        failure: {
          type: err.cause.type ?? undefined,
          nonRetryable: err.cause.nonRetryable === true,
          message: err.cause.message,
          retryState: String(err.retryState),
        },
      };
    }
    throw err;
  }
}
