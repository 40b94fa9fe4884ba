// Deterministic A2A ids. The message and context ids of a call are derived from its idempotency
// key, so every attempt of the same step speaks of the same conversation: a server that
// deduplicates messages by id sees one message, and a retried attempt can find the task its
// predecessor started by listing the tasks of that context.
import { createHash } from 'node:crypto';

/** A UUID-shaped id (version 8: custom, RFC 9562) from `purpose` and `key`; same input, same id. */
export function derivedId(key: string, purpose: string): string {
  const h = createHash('sha256').update(`arbiter-a2a\u0000${purpose}\u0000${key}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export const contextIdFor = (key: string): string => derivedId(key, 'context');
/** The first message of a call. */
export const messageIdFor = (key: string): string => derivedId(key, 'message');
/** A new message after the task `failedTaskId` ended in failure (a retry starts a new task). */
export const retryMessageIdFor = (key: string, failedTaskId: string): string =>
  derivedId(key, `retry:${failedTaskId}`);
/** The answer to the question the task `taskId` asked. */
export const replyMessageIdFor = (key: string, taskId: string): string => derivedId(key, `reply:${taskId}`);
