// What a notification may carry, as an explicit schema: the activity's input is parsed with it, so
// anything else a caller passes (a contract's inputs or outputs, an agent's answer) is dropped before
// a message is built. Nothing here can hold a contract's data, by construction.
import { z } from 'zod';
import { DataClass } from '../shared/contract.js';
import { REVIEW_SUBJECTS } from '../shared/decision.js';
import type { ChannelKind } from '../shared/reviewers.js';

export const NOTIFY_EVENTS = [
  'review-opened',
  'review-escalated',
  'review-answered',
  'review-timed-out',
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

export const ReviewNotice = z.object({
  workflowId: z.string().min(1),
  contractId: z.string().min(1),
  title: z.string(),
  subject: z.enum(REVIEW_SUBJECTS),
  /** Why a person is needed: the policies' explanations or the escalation's reason. */
  why: z.array(z.string()),
  dataClass: DataClass,
  budgetUsd: z.number().nonnegative().optional(),
  /** When this level of the chain escalates or the review times out (ISO 8601). */
  deadline: z.string().min(1),
  /** The group asked now, and everyone who may answer at this level. */
  group: z.string().min(1),
  reviewers: z.array(z.string()),
  /** With review-answered (and review-timed-out: the safe default). */
  answer: z
    .object({
      decision: z.enum(['approve', 'reject']),
      reviewer: z.string().min(1),
      reason: z.string().optional(),
    })
    .optional(),
});
export type ReviewNotice = z.infer<typeof ReviewNotice>;

/** The `notify` activity's input: one event, to one channel. */
export const NotifyRequest = z.object({
  /** A channel id from the reviewers file. */
  channel: z.string().min(1),
  /**
   * The same key means the same announcement: it is never sent twice to this channel. One per event
   * and chain level, e.g. `contract/q-1:review-escalated:1`.
   */
  idempotencyKey: z.string().min(1).max(512),
  event: z.enum(NOTIFY_EVENTS),
  review: ReviewNotice,
});
export type NotifyRequest = z.infer<typeof NotifyRequest>;

/** `sent`: delivered by this attempt; `already-sent`: an earlier execution delivered it, nothing was sent. */
export const NOTIFY_STATUSES = ['sent', 'already-sent'] as const;

export interface NotifyResult {
  channel: string;
  kind: ChannelKind;
  /** Where it went, without secrets: a webhook's origin and path, a Slack host, SMTP host and recipients. */
  target: string;
  status: (typeof NOTIFY_STATUSES)[number];
  /** The Temporal attempt that ran this call. */
  attempt: number;
  /** When the message was delivered (by this attempt, or the earlier one). */
  sentAt: string;
}

/** Stable failure types; the non-retryable ones can never succeed by trying again. */
export { NOTIFY_FAILURES, NON_RETRYABLE_NOTIFY_FAILURES } from '../shared/failures.js';
