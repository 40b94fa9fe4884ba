// Notification failures as Temporal application failures with stable types: a receiver that can
// never accept the message fails the activity at once; anything that may pass later is retried.
import { ApplicationFailure } from '@temporalio/common';
import type { ChannelKind } from '../shared/reviewers.js';
import { NOTIFY_FAILURES } from './request.js';

export type NotifyFailureType = (typeof NOTIFY_FAILURES)[keyof typeof NOTIFY_FAILURES];

/** Where the failure happened, for metrics and the trail; never a secret. */
export interface FailureWhere {
  channel: string;
  kind?: ChannelKind;
  target?: string;
}

const RETRYABLE: ReadonlySet<NotifyFailureType> = new Set([NOTIFY_FAILURES.unavailable]);

export function notifyFailure(
  type: NotifyFailureType,
  message: string,
  where: FailureWhere,
): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message: `notify ${where.channel}${where.target ? ` (${where.target})` : ''}: ${message}`,
    nonRetryable: !RETRYABLE.has(type),
    details: [where],
  });
}

/**
 * An HTTP answer as a failure, or undefined for success. 408, 425 and 429 and every 5xx may pass
 * later; any other 4xx (and a 3xx: redirects are not followed) never will.
 */
export function httpFailure(
  status: number,
  detail: string,
  where: FailureWhere,
): ApplicationFailure | undefined {
  if (status >= 200 && status < 300) return undefined;
  const retryable = status >= 500 || status === 408 || status === 425 || status === 429;
  const what = `HTTP ${status}${detail ? ` ${detail}` : ''}`;
  return notifyFailure(
    retryable ? NOTIFY_FAILURES.unavailable : NOTIFY_FAILURES.refused,
    retryable ? `${what}; retried` : `${what}; the receiver refused the message, retrying cannot help`,
    where,
  );
}
