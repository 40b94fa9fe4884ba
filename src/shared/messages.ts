// Queries, signals and updates, defined once and shared by workflows and clients.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ContractState } from './decision.js';
import type { PlanState } from './plan.js';

export interface ReviewAnswer {
  decision: 'approve' | 'reject';
  /** Who answered; recorded in the audit trail. */
  reviewer: string;
  reason?: string;
  /** With approve: the agent to use, among those policy permits. */
  agentId?: string;
}

export const stateQuery = defineQuery<ContractState>('state');
/** The CLI's path: an Update whose validator refuses a wrong answer before it is recorded. */
export const reviewUpdate = defineUpdate<ContractState, [ReviewAnswer]>('review');
/** The Web UI's path ("Send Signal", name `review`): invalid answers are audited and ignored. */
export const reviewSignal = defineSignal<[ReviewAnswer]>('review');
export const planStateQuery = defineQuery<PlanState>('state');

export interface CancelRequest {
  reason: string;
  by: string;
}
/** Sent just before a cancellation request so the workflow records who cancelled and why. */
export const cancelReasonSignal = defineSignal<[CancelRequest]>('cancel-reason');
