// Telling reviewers: each moment a person is needed (a review opens, escalates, is answered, times
// out) goes to the channels of the groups concerned, one `notify` activity per channel with its own
// retries and an idempotency key. A notification never holds up the review or the contract: it is
// started, and its outcome lands in the trail when it arrives. What it carries is the review's
// notice (title, why, data class, budget, deadline): never the contract's inputs or outputs.
import { isCancellation, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { ReviewRecord, ReviewSubject } from '../../shared/decision.js';
import { failureCategory, NON_RETRYABLE_NOTIFY_FAILURES } from '../../shared/failures.js';
import type { ContractRun } from './run.js';

type NotifyRequest = Parameters<Activities['notify']>[0];

/** A receiver down for a minute is retried about four times; after an hour the event is dropped. */
const { notify } = proxyActivities<Activities>({
  startToCloseTimeout: '60s',
  scheduleToCloseTimeout: '1h',
  retry: {
    initialInterval: '5s',
    backoffCoefficient: 2,
    maximumInterval: '5m',
    nonRetryableErrorTypes: NON_RETRYABLE_NOTIFY_FAILURES,
  },
});

/** How long a finishing contract waits for notifications still under way before it ends anyway. */
export const NOTIFY_GRACE_MS = 10_000;

export interface Notice {
  event: NotifyRequest['event'];
  subject: ReviewSubject;
  /** Which review of this run (1, 2, …) and which level of its chain: part of the idempotency key. */
  review: number;
  level: number;
  group: string;
  reviewers: string[];
  deadline: string;
  why: string[];
  answer?: ReviewRecord;
}

/** Review subjects whose reasons quote what an agent said or wants to do, not policy's words. */
const AGENT_WORDS: ReadonlySet<ReviewSubject> = new Set(['agent-question', 'tool-call']);

/**
 * What a notification says about why a person is needed. Policy's explanations are fixed text; an
 * agent's question or a tool call's arguments may quote the contract's data, so for confidential
 * and pii work they stay in Arbiter (`arbiter reviews` shows them to the reviewers asked).
 */
export function reasonsToSend(notice: Notice, dataClass: string): string[] {
  if (!AGENT_WORDS.has(notice.subject) || (dataClass !== 'confidential' && dataClass !== 'pii')) {
    return notice.why;
  }
  const what = notice.subject === 'tool-call' ? 'a tool call an agent wants to make' : "an agent's question";
  return [`${what} on ${dataClass} work: read it with \`arbiter reviews\``];
}

/** Starts one notification per channel; each one's outcome is recorded when it arrives. */
export function announce(run: ContractRun, channels: readonly string[], notice: Notice): void {
  const { workflowId, runId } = workflowInfo();
  const { contract } = run;
  const key = `${workflowId}:${runId}:review-${notice.review}:${notice.event}:${notice.level}`;
  const review: NotifyRequest['review'] = {
    workflowId,
    contractId: contract.id,
    title: contract.title,
    subject: notice.subject,
    why: reasonsToSend(notice, contract.constraints.dataClass),
    dataClass: contract.constraints.dataClass,
    ...(contract.constraints.budgetUsd !== undefined ? { budgetUsd: contract.constraints.budgetUsd } : {}),
    deadline: notice.deadline,
    group: notice.group,
    reviewers: notice.reviewers,
    ...(notice.answer
      ? {
          answer: {
            decision: notice.answer.decision,
            reviewer: notice.answer.reviewer,
            ...(notice.answer.reason ? { reason: notice.answer.reason } : {}),
          },
        }
      : {}),
  };
  for (const channel of new Set(channels)) {
    const request: NotifyRequest = { channel, idempotencyKey: key, event: notice.event, review };
    const sending = notify
      .executeWithOptions({ summary: `notify ${channel}: ${notice.event}` }, [request])
      .then(
        (sent) => {
          if (run.closing) return;
          const { kind, target, status, attempt } = sent;
          run.record('notified', { channel, event: notice.event, kind, target, status, attempt });
        },
        (err: unknown) => {
          if (run.closing || isCancellation(err)) return;
          run.record('notify-failed', { channel, event: notice.event, error: failureCategory(err).message });
        },
      )
      .finally(() => run.notifications.delete(sending));
    run.notifications.set(sending, { channel, event: notice.event });
  }
}
