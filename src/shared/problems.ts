// How a schema's complaints read, wherever a payload is checked: `arbiter check`, the loaders, and
// workflows refusing a payload someone else's client sent. The same words everywhere.
import { ApplicationFailure } from '@temporalio/common';
import type { z } from 'zod';

/** `contract.constraints.dataClass`, `[2].id`; `(top level)` for the value itself. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

/** One line per problem: `path: message`. */
export function problemsOf(error: z.ZodError): string[] {
  return error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
}

/**
 * The failure a workflow ends with when its input is not what it takes: not retryable (the same
 * payload fails the same way), type BAD_INPUT, one detail per problem.
 */
export function invalidPayload(what: string, error: z.ZodError): ApplicationFailure {
  const problems = problemsOf(error);
  return ApplicationFailure.nonRetryable(
    `invalid ${what} (${problems.length} problem${problems.length > 1 ? 's' : ''}): ${problems.join('; ')}`,
    'BAD_INPUT',
    ...problems,
  );
}
