// What an executeAgent attempt on an A2A agent leaves behind in its heartbeats, and what it hands
// back: the remote task it follows (so a retried attempt on another worker follows the same task
// instead of sending a second message), the task's state changes (for the trail), and, when the
// task waits for its client, the question a person has to answer.
import { z } from 'zod';

export const StateChange = z.object({ state: z.string(), at: z.string() });
export type StateChange = z.infer<typeof StateChange>;

/** The heartbeat details of an attempt that follows a remote task. */
export const A2aProgress = z.object({
  protocol: z.literal('a2a'),
  taskId: z.string().min(1),
  contextId: z.string().optional(),
  states: z.array(StateChange),
});
export type A2aProgress = z.infer<typeof A2aProgress>;

/** The remote task behind a result, for the trail: its id and every state it was seen in. */
export const A2aRemote = z.object({
  protocol: z.literal('a2a'),
  taskId: z.string(),
  states: z.array(StateChange),
});
export type A2aRemote = z.infer<typeof A2aRemote>;

/**
 * A task that waits for its client: `input-required` (the agent asks a question) or
 * `auth-required` (it needs credentials). The activity never waits for a person itself; it
 * returns this, and the workflow asks one.
 */
export const A2aPending = z.object({
  state: z.enum(['input-required', 'auth-required']),
  taskId: z.string(),
  contextId: z.string().optional(),
  question: z.string(),
});
export type A2aPending = z.infer<typeof A2aPending>;

/** A person's answer to a pending task: sent as the next message on that task, then followed. */
export const A2aReply = z.object({
  taskId: z.string().min(1),
  contextId: z.string().optional(),
  text: z.string(),
});
export type A2aReply = z.infer<typeof A2aReply>;

/** What one attempt hands back: the output, or a question a person has to answer first. */
export type A2aResult =
  | { kind: 'output'; output: unknown; remote?: A2aRemote }
  | { kind: 'pending'; pending: A2aPending; remote: A2aRemote };

/** The details a previous attempt heartbeated, when they are an A2A attempt's (else undefined). */
export function resumedProgress(details: unknown): A2aProgress | undefined {
  const parsed = A2aProgress.safeParse(details);
  return parsed.success ? parsed.data : undefined;
}
