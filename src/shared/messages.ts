// Queries, signals and updates, defined once and shared by workflows and clients, with the schemas
// their payloads are parsed with: anyone can send them (the Temporal CLI, the Web UI, other SDKs),
// so a workflow trusts no payload it has not parsed.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import type { ContractState } from './decision.js';
import type { PlanState } from './plan.js';

export const ReviewAnswer = z
  .object({
    decision: z.enum(['approve', 'reject'], { error: 'decision must be "approve" or "reject"' }),
    /** Who answered; recorded in the audit trail. */
    reviewer: z
      .string({ error: 'reviewer must name who answers' })
      .trim()
      .min(1, { error: 'reviewer must name who answers' }),
    reason: z.string({ error: 'reason must be text' }).optional(),
    /** With approve: the agent to use, among those policy permits. */
    agentId: z.string({ error: 'agentId must name an agent' }).optional(),
    /** With approve, when an agent asked a question: the answer it gets (`arbiter answer`). */
    text: z.string({ error: 'text must be the answer to the agent' }).optional(),
  })
  .strict();
export type ReviewAnswer = z.infer<typeof ReviewAnswer>;

export const CancelRequest = z
  .object({
    reason: z.string({ error: 'reason must be text' }),
    by: z.string({ error: 'by must name who cancels' }).min(1, { error: 'by must name who cancels' }),
  })
  .strict();
export type CancelRequest = z.infer<typeof CancelRequest>;

export const stateQuery = defineQuery<ContractState>('state');
/** The CLI's path: an Update whose validator refuses a wrong answer before it is recorded. */
export const reviewUpdate = defineUpdate<ContractState, [ReviewAnswer]>('review');
/** The Web UI's path ("Send Signal", name `review`): invalid answers are audited and ignored. */
export const reviewSignal = defineSignal<[ReviewAnswer]>('review');
export const planStateQuery = defineQuery<PlanState>('state');

/** Sent just before a cancellation request so the workflow records who cancelled and why. */
export const cancelReasonSignal = defineSignal<[CancelRequest]>('cancel-reason');
