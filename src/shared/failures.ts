// Error categories of agent attempts, and the one mapping between failures and categories. The
// category is the failure's type: agents throw `agentFailure(category, …)`, Temporal carries the
// type to the workflow, and the trail, the trust ledger and the metrics all read it with
// `failureCategory`. Workflow-safe: @temporalio/common only, no schema library.
import { ActivityFailure, ApplicationFailure, TemporalFailure, TimeoutFailure } from '@temporalio/common';

export const ERROR_CATEGORIES = [
  'timeout',
  'agent-error',
  'invalid-output',
  'rate-limit',
  'server-error',
  'refused',
  // A tool loop reached one of its hard bounds (maxTurns, maxToolCalls, the budget): the agent
  // did not finish within what it was allowed. Ends the contract: see workflows/contract/toolLoop.ts.
  'limit-exceeded',
  'unknown',
] as const;
export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];

export const isErrorCategory = (v: unknown): v is ErrorCategory =>
  typeof v === 'string' && (ERROR_CATEGORIES as readonly string[]).includes(v);

// Retryable categories are retried by Temporal per the agent call's retry policy; the rest move on
// to the next fallback agent at once.
const RETRYABLE: ReadonlySet<ErrorCategory> = new Set([
  'timeout',
  'agent-error',
  'rate-limit',
  'server-error',
]);

/** The failure an agent (or the step running it) throws for a failed attempt of `category`. */
export function agentFailure(category: ErrorCategory, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: category, message, nonRetryable: !RETRYABLE.has(category) });
}

/**
 * The category and message of a failed attempt, wherever it is seen: as the workflow receives it
 * (an ActivityFailure wrapping the cause) or as the activity threw it (metrics interceptor).
 */
export function failureCategory(err: unknown): { category: ErrorCategory; message: string } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof TimeoutFailure)
    return { category: 'timeout', message: 'the agent did not answer in time' };
  if (cause instanceof ApplicationFailure) {
    // An answer too big for the history could not be used: invalid output. Any other type the
    // agent threw (a plain error it did not classify) is an agent error.
    const category = isErrorCategory(cause.type)
      ? cause.type
      : cause.type === 'PayloadsTooLarge'
        ? 'invalid-output'
        : 'agent-error';
    return { category, message: cause.message };
  }
  const message = err instanceof Error ? err.message : String(err);
  // Cancelled, terminated, server failures: not the agent's doing.
  if (cause instanceof TemporalFailure) return { category: 'unknown', message };
  // Thrown inside an activity before Temporal wrapped it: Temporal reports it as an agent error.
  if (cause instanceof Error) return { category: 'agent-error', message: cause.message };
  return { category: 'unknown', message };
}

/** Failure types of the `notify` activity (src/notify): only an unavailable receiver is retried. */
export const NOTIFY_FAILURES = {
  badRequest: 'NotifyBadRequest',
  unknownChannel: 'NotifyUnknownChannel',
  misconfigured: 'NotifyMisconfigured',
  refused: 'NotifyRefused',
  unavailable: 'NotifyUnavailable',
} as const;
export const NON_RETRYABLE_NOTIFY_FAILURES = [
  NOTIFY_FAILURES.badRequest,
  NOTIFY_FAILURES.unknownChannel,
  NOTIFY_FAILURES.misconfigured,
  NOTIFY_FAILURES.refused,
];
