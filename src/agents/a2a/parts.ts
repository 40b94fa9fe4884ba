// Turning A2A parts into Arbiter values, and Arbiter's contract into an A2A message. What the
// remote agent says is data: it becomes the output (validated against the contract's outputSchema
// afterwards, like every output) or the question shown to a person, never an instruction.
import { Role, type Message, type Part, type Task } from '@a2a-js/sdk';
import type { AgentCall } from '../types.js';

const textPart = (text: string): Part => ({
  content: { $case: 'text', value: text },
  metadata: undefined,
  filename: '',
  mediaType: 'text/plain',
});

const dataPart = (value: unknown): Part => ({
  content: { $case: 'data', value },
  metadata: undefined,
  filename: '',
  mediaType: 'application/json',
});

/** The contract in words (for agents that read text) and as data (for agents that read JSON). */
export function contractParts(call: AgentCall, skill?: string): Part[] {
  const c = call.contract;
  const words = [
    `${c.title}`,
    '',
    c.objective,
    ...(c.acceptanceCriteria.length
      ? ['', 'Acceptance criteria:', ...c.acceptanceCriteria.map((a) => `- ${a}`)]
      : []),
    ...(c.outputSchema ? ['', 'Answer with JSON matching this schema:', JSON.stringify(c.outputSchema)] : []),
  ].join('\n');
  return [
    textPart(words),
    dataPart({
      contractId: c.id,
      ...(skill ? { skill } : {}),
      contract: {
        title: c.title,
        objective: c.objective,
        acceptanceCriteria: c.acceptanceCriteria,
        inputs: c.inputs ?? null,
        outputSchema: c.outputSchema ?? null,
      },
      input: call.input ?? null,
    }),
  ];
}

export function userMessage(
  ids: { messageId: string; contextId: string; taskId?: string },
  parts: Part[],
  metadata?: Record<string, unknown>,
): Message {
  return {
    messageId: ids.messageId,
    contextId: ids.contextId,
    taskId: ids.taskId ?? '',
    role: Role.ROLE_USER,
    parts,
    metadata,
    extensions: [],
    referenceTaskIds: [],
  };
}

/** The contract as the first message of a call, in the call's context. */
export function contractMessage(
  call: AgentCall,
  ids: { messageId: string; contextId: string },
  skill: string | undefined,
): Message {
  return userMessage(ids, contractParts(call, skill), {
    arbiter: { contractId: call.contract.id, idempotencyKey: call.idempotencyKey },
    ...(skill ? { skill } : {}),
  });
}

export const replyParts = (text: string): Part[] => [textPart(text)];

/** The value of parts: the first data part; else the text parts (JSON-typed text is parsed). */
export function valueOf(parts: readonly Part[]): { found: boolean; value: unknown } {
  const data = parts.find((p) => p.content?.$case === 'data');
  if (data?.content?.$case === 'data') return { found: true, value: data.content.value ?? null };
  const texts = parts.flatMap((p) =>
    p.content?.$case === 'text' ? [{ text: p.content.value, json: /json/i.test(p.mediaType) }] : [],
  );
  if (texts.length === 0) return { found: false, value: undefined };
  if (texts.length === 1 && texts[0]!.json) {
    try {
      return { found: true, value: JSON.parse(texts[0]!.text) as unknown };
    } catch {
      // Declared JSON but is not: it is still the agent's answer, as text.
    }
  }
  return { found: true, value: texts.map((t) => t.text).join('\n') };
}

/** A completed task's output: its artifacts (a data part preferred), else its final status message. */
export function taskOutput(task: Task): { found: boolean; value: unknown } {
  const parts = task.artifacts.flatMap((a) => a.parts);
  const fromArtifacts = valueOf(parts);
  if (fromArtifacts.found) return fromArtifacts;
  return valueOf(task.status?.message?.parts ?? []);
}

/** The text of a status message (a question, a failure reason), for people to read. */
export function statusText(task: Task): string {
  const parts = task.status?.message?.parts ?? [];
  const text = parts.flatMap((p) => (p.content?.$case === 'text' ? [p.content.value] : [])).join('\n');
  if (text) return text;
  const data = parts.find((p) => p.content?.$case === 'data');
  return data?.content?.$case === 'data' ? JSON.stringify(data.content.value) : '';
}

/** A text for people to read (a reason, an error), bounded: the agent's words can be any length. */
export const clip = (s: string, n = 300): string => (s.length > n ? `${s.slice(0, n)}…` : s);
