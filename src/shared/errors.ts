// One typed error for everything a user can cause or fix. The code is stable (scripts match on
// it); the exit code follows SPEC §3; the message is written for people.
export const EXIT = {
  ok: 0,
  failed: 1,
  badInput: 2,
  unreachable: 3,
  awaitingReview: 4,
} as const;

export type ErrorCode =
  | 'BAD_INPUT'
  | 'NOT_FOUND'
  | 'TEMPORAL_UNREACHABLE'
  | 'REVIEW_REFUSED'
  | 'POLICY_INVALID'
  | 'CONTRACT_FAILED'
  | 'AWAITING_REVIEW'
  | 'NOT_SUPPORTED'
  | 'NO_WORKER';

const exitFor: Record<ErrorCode, number> = {
  BAD_INPUT: EXIT.badInput,
  NOT_FOUND: EXIT.badInput,
  TEMPORAL_UNREACHABLE: EXIT.unreachable,
  REVIEW_REFUSED: EXIT.badInput,
  POLICY_INVALID: EXIT.badInput,
  CONTRACT_FAILED: EXIT.failed,
  AWAITING_REVIEW: EXIT.awaitingReview,
  NOT_SUPPORTED: EXIT.badInput,
  // Nothing a user typed was wrong and the server answered: the work just was not done.
  NO_WORKER: EXIT.failed,
};

export class ArbiterError extends Error {
  override readonly name = 'ArbiterError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: string[] = [],
  ) {
    super(message);
  }

  get exitCode(): number {
    return exitFor[this.code];
  }

  /** The full text shown to a user: the message and one indented line per detail. */
  toUserText(): string {
    return [this.message, ...this.details.map((d) => `  - ${d}`)].join('\n');
  }
}

export function badInput(message: string, details: string[] = []): ArbiterError {
  return new ArbiterError('BAD_INPUT', message, details);
}
