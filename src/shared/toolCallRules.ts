// The tool loop's rules that the workflow needs (src/workflows/contract/toolLoop.ts): idempotency
// keys, retries and timeouts of a call, size limits, and what the model is told for each call.
// Pure and workflow-safe, and it builds no schema (types only), so every contract workflow may load
// it at no cost; src/shared/toolSteps.ts re-exports it beside the step schemas.
import type { CallToolResult, ChatMessage, DiscoveredTool, ToolCallRequest } from './toolSteps.js';

/**
 * A tool call's idempotency key: stable across retries and worker restarts of the same step.
 * `attempt` names the agent attempt (workflow, run, attempt number): another agent's loop in the
 * same contract numbers its turns and call ids from the start again.
 */
export const toolCallKey = (attempt: string, turn: number, callId: string): string =>
  `${attempt}/tool/${turn}/${callId}`;

/**
 * How many attempts a tool call may get. A read-only or idempotent tool may be retried; any other
 * runs at most once, because a retry after a lost answer could do the work twice (the idempotency
 * key lets a server that honours it prevent that, but Arbiter cannot know that it does).
 */
export const toolAttempts = (tool: Pick<DiscoveredTool, 'hints'>): number =>
  tool.hints.readOnly || tool.hints.idempotent ? 3 : 1;

/** A call step's activity timeout: connecting and calling may each take the server's timeout. */
export const callToolTimeoutMs = (tool: Pick<DiscoveredTool, 'timeoutMs'>): number =>
  2 * tool.timeoutMs + 5_000;

/** UTF-8 size of a text, computed without Node (workflow-safe). */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

/** UTF-8 size of a value's JSON text. */
export const jsonBytes = (value: unknown): number => utf8Bytes(JSON.stringify(value) ?? '');

/**
 * The largest model-turn input (transcript and tool definitions) the loop may send: each turn's
 * input is one payload in the workflow history, and Temporal refuses payloads near 2 MB.
 */
export const MAX_TURN_INPUT_BYTES = 1_000_000;

/** What the model reads for a call that ran. */
export function toolResultMessage(callId: string, result: CallToolResult): ChatMessage {
  const note = result.truncated ? `\n[result cut at ${utf8Bytes(result.text)} of ${result.bytes} bytes]` : '';
  const prefix = result.isError ? 'The tool reported an error: ' : '';
  return { role: 'tool', toolCallId: callId, content: `${prefix}${result.text}${note}` };
}

/** What the model reads for a call policy (or a person) refused: refused, and why. */
export function refusedMessage(callId: string, why: readonly string[]): ChatMessage {
  return {
    role: 'tool',
    toolCallId: callId,
    content: `This call was refused and did not run. Why: ${why.join(' ')} Do not ask for it again; continue without it.`,
  };
}

/** What the model reads for a call it wrote badly (unknown tool, bad arguments). */
export function malformedMessage(call: Extract<ToolCallRequest, { ok: false }>): ChatMessage {
  return {
    role: 'tool',
    toolCallId: call.id,
    content: `This call could not run: ${call.error}`,
  };
}
