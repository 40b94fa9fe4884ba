// The agent ledger's messages, defined once and shared by the ledger workflow, activities, the
// CLI and tests. Workflow-safe: no Node imports.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import type { AgentSnapshot } from './trust.js';
// failures.js, not decision.js: every workflow loads this module (the worker's bundle imports all
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

/** One measured attempt of an agent, as the contract workflow saw it. */
export const OutcomeRecord = z.object({
  /** When the attempt finished (ms since the epoch). */
  at: z.number().int().nonnegative(),
  /** The agent answered and its output passed validation. */
  ok: z.boolean(),
  category: z.enum(ERROR_CATEGORIES).optional(),
  /** A short reason for a failure, shown by `arbiter agents`. */
  error: z
    .string()
    .transform((s) => s.slice(0, 200))
    .optional(),
  latencyMs: z.number().nonnegative().optional(),
  costUsd: z.number().nonnegative().optional(),
  /** A human reviewer's later verdict on the output; a rejection counts as a failure. */
  reviewerVerdict: z.enum(['approved', 'rejected']).optional(),
});
export type OutcomeRecord = z.infer<typeof OutcomeRecord>;

/** How trust is computed from outcomes (defaults: DEFAULT_TRUST_PARAMS in trust.ts). */
export const TrustParams = z
  .object({
    /** Beta prior pseudo-counts: Beta(1, 1) is "know nothing". */
    priorSuccesses: z.number().positive(),
    priorFailures: z.number().positive(),
    /** Age at which an outcome counts half; old glory fades, old failures are forgiven. */
    halfLifeMs: z.number().positive(),
    /** One-sided normal quantile of the lower bound (1.645 ≈ the 5th percentile). */
    z: z.number().nonnegative(),
    /** An agent with fewer weighted outcomes than this is on probation. */
    probationOutcomes: z.number().nonnegative(),
    /** Outcomes kept per agent; older ones are dropped (their weight is negligible by then). */
    maxOutcomes: z.number().int().positive(),
  })
  .strict();
export type TrustParams = z.infer<typeof TrustParams>;

/** When an agent's circuit opens and how it recovers (defaults: DEFAULT_BREAKER_PARAMS). */
export const BreakerParams = z
  .object({
    /** Failures within `windowMs` that open the circuit. */
    failureThreshold: z.number().int().positive(),
    windowMs: z.number().positive(),
    /** How long an open circuit refuses traffic before one probe is let through. */
    coolDownMs: z.number().nonnegative(),
    /** Each failed probe doubles the cool-down, up to this many times the base. */
    maxCoolDownFactor: z.number().positive(),
    /** A probe that never reports back stops blocking others after this long. */
    probeTimeoutMs: z.number().positive(),
  })
  .strict();
export type BreakerParams = z.infer<typeof BreakerParams>;

/** An agent's circuit; `open` carries when it may be probed, so moving on needs no timer. */
export const BreakerState = z.discriminatedUnion('state', [
  z.object({ state: z.literal('closed'), failures: z.array(z.number()) }),
  z.object({
    state: z.literal('open'),
    openedAt: z.number(),
    retryAt: z.number(),
    reopens: z.number().int().nonnegative(),
  }),
  z.object({
    state: z.literal('half-open'),
    reopens: z.number().int().nonnegative(),
    probe: z.object({ id: z.string(), at: z.number(), timeoutAt: z.number() }).optional(),
  }),
]);
export type BreakerState = z.infer<typeof BreakerState>;

/** What starts a ledger (and what continue-as-new carries to its next run). */
export const LedgerInput = z
  .object({
    agentId: z.string().min(1),
    options: z
      .object({
        trust: TrustParams.partial().optional(),
        breaker: BreakerParams.partial().optional(),
        /** Messages handled before the run continues as new (history stays small). */
        continueAfter: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
    /** Set only by continue-as-new. */
    state: z
      .object({
        outcomes: z.array(OutcomeRecord),
        breaker: BreakerState,
        /** Recent outcome ids, oldest first: an at-least-once sender that signals twice counts once. */
        seen: z.array(z.string()),
        /** Signals refused as malformed or addressed to another agent. */
        refused: z.number().int().nonnegative(),
      })
      .optional(),
  })
  .strict();
export type LedgerInput = z.infer<typeof LedgerInput>;
export type LedgerOptions = NonNullable<LedgerInput['options']>;
export type LedgerState = NonNullable<LedgerInput['state']>;

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
