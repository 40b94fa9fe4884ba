import { ApplicationFailure } from '@temporalio/common';
import type { ErrorCategory } from '../shared/decision.js';

// Failure types double as error categories in the audit trail. Retryable ones are retried by
// Temporal per the execute step's retry policy; the rest move on to the next fallback agent.
const RETRYABLE: ReadonlySet<ErrorCategory> = new Set([
  'timeout',
  'agent-error',
  'rate-limit',
  'server-error',
]);

export function agentFailure(category: ErrorCategory, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: category, message, nonRetryable: !RETRYABLE.has(category) });
}
