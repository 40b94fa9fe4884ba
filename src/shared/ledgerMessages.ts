// The agent ledger's messages, defined once and shared by the ledger workflow, activities, the
// CLI and tests. Workflow-safe: no Node imports.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import type { AgentSnapshot } from './trust.js';
// categories.js, not decision.js: every workflow loads this module (the worker's bundle imports all
// workflow types), each in its own module scope, and decision.js would build every contract schema
// again for each contract (docs/performance.md, "Levers").
import { ERROR_CATEGORIES } from './failures.js';

/**
 * One ledger per agent and task queue (a deployment), readable in the Web UI. Keyed by queue
 * because a ledger runs on its queue's workers: another deployment's ledger would be unreachable
 * whenever that deployment's workers are down.
 */
export const ledgerWorkflowId = (agentId: string, taskQueue: string): string =>
  `agent/${taskQueue}/${agentId}`;

export const OutcomeRecord = z.object({
  at: z.number().int().nonnegative(),
  ok: z.boolean(),
  category: z.enum(ERROR_CATEGORIES).optional(),
  error: z
    .string()
    .transform((s) => s.slice(0, 200))
    .optional(),
  latencyMs: z.number().nonnegative().optional(),
  costUsd: z.number().nonnegative().optional(),
  reviewerVerdict: z.enum(['approved', 'rejected']).optional(),
});

export const RecordOutcome = z.object({
  agentId: z.string().min(1),
  /** Unique per attempt (e.g. `<workflowId>/<attempt index>`): a second delivery is ignored. */
  outcomeId: z.string().min(1),
  outcome: OutcomeRecord,
});
export type RecordOutcome = z.infer<typeof RecordOutcome>;

export interface SnapshotRequest {
  /** The reader's clock (ms); query handlers only know the time of the ledger's last task. */
  now?: number;
}

export interface ProbeClaim {
  /** Who asks (e.g. the contract workflow id + attempt); the same id asking again is granted again. */
  claimId: string;
}

/**
 * The memo key under which a ledger publishes its snapshot after each change. Readers get it with
 * a describe, which the server answers alone: no worker, no query buffer, so a decision never
 * waits for a ledger's workflow task (and never for a workflow slot on its own worker).
 */
export const SNAPSHOT_MEMO = 'standing';

export const recordOutcomeSignal = defineSignal<[RecordOutcome]>('recordOutcome');
export const snapshotQuery = defineQuery<AgentSnapshot, [SnapshotRequest?]>('snapshot');
/** Atomic admission through a half-open circuit: exactly one probe at a time. */
export const claimProbeUpdate = defineUpdate<boolean, [ProbeClaim]>('claimProbe');
