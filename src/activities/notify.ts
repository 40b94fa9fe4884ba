// The `notify` activity: tells one channel about one review event. At-least-once like every
// activity, made at-most-once per (channel, idempotency key) by the sent record in the data dir;
// see src/notify/deliver.ts and docs/security.md for what a message carries and what it never does.
import { Context } from '@temporalio/activity';
import { deliver } from '../notify/deliver.js';
import type { NotifyRequest, NotifyResult } from '../notify/request.js';
import type { Deps } from './deps.js';

export type { NotifyRequest, NotifyResult } from '../notify/request.js';
export { NON_RETRYABLE_NOTIFY_FAILURES, NOTIFY_FAILURES } from '../notify/request.js';

export const notifyActivities = (deps: Deps) => ({
  async notify(req: NotifyRequest): Promise<NotifyResult> {
    const ctx = Context.current();
    return deliver(
      req,
      {
        channels: deps.reviewers.channels,
        log: deps.notify.log,
        uiUrl: deps.notify.uiUrl,
        namespace: deps.notify.namespace,
        // Read per call: secrets live in the environment only, never in arguments or history.
        env: process.env,
      },
      {
        attempt: ctx.info.attempt,
        signal: ctx.cancellationSignal,
        warn: (message) => {
          ctx.log.warn(message);
        },
      },
    );
  },
});
