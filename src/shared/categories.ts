// Error categories of agent attempts: the failure types agents and activities throw, the audit
// trail's vocabulary and the trust ledger's. Plain values (no zod), so workflows can import them.
export const ERROR_CATEGORIES = [
  'timeout',
  'agent-error',
  'invalid-output',
  'rate-limit',
  'server-error',
  'refused',
  'unknown',
] as const;
export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];

export const isErrorCategory = (v: unknown): v is ErrorCategory =>
  typeof v === 'string' && (ERROR_CATEGORIES as readonly string[]).includes(v);
