// Tool calling for the local model server (localServer.ts). SmolLM2 has no tool-call format of its
// own, so the request's tools become (1) a short system note listing them and (2) a JSON-schema
// grammar that lets the model write only `{"tool": <name>, "arguments": {...}}` (arguments by that
// tool's parameters) or `{"answer": {...}}`. The server turns the first into an OpenAI `tool_calls`
// entry and the second into the message content. The grammar guarantees the shape, never the sense.
import type { GbnfJsonSchema } from 'node-llama-cpp';
import { z } from 'zod';

export const FunctionTool = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type FunctionTool = z.infer<typeof FunctionTool>;

const PRIMITIVES = ['string', 'number', 'integer', 'boolean', 'null'] as const;
type Primitive = (typeof PRIMITIVES)[number];
const isPrimitive = (t: unknown): t is Primitive => PRIMITIVES.includes(t as Primitive);
const ANY_SCALAR: GbnfJsonSchema = { type: ['string', 'number', 'boolean', 'null'] };
/** The longest string argument the grammar lets the model write (a path, a query, a short text). */
const ARGUMENT_CHARS = 300;
/** Nesting kept in a parameter grammar; deeper parts accept any scalar. */
const MAX_DEPTH = 6;
/** The answer the grammar allows: a few text fields (a real provider is not held to this). */
const ANSWER_FIELDS = 6;
const ANSWER_FIELD_CHARS = 600;

/**
 * A tool's JSON-schema parameters in the subset the grammar builder reads (types, properties,
 * required, items, enum, const, anyOf/oneOf); keywords outside it (formats, patterns, bounds) are
 * left to the tool, which validates its own arguments.
 */
export function grammarSchemaOf(schema: unknown, depth = 0): GbnfJsonSchema {
  if (!schema || typeof schema !== 'object' || depth > MAX_DEPTH) return ANY_SCALAR;
  const s = schema as Record<string, unknown>;
  const scalars = (xs: unknown[]) =>
    xs.filter((x) => x === null || ['string', 'number', 'boolean'].includes(typeof x));
  if (Array.isArray(s.enum) && scalars(s.enum).length > 0) {
    return { enum: scalars(s.enum) as (string | number | boolean | null)[] };
  }
  if (s.const === null || ['string', 'number', 'boolean'].includes(typeof s.const)) {
    return { const: s.const as string | number | boolean | null };
  }
  const options = (Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : undefined) as
    unknown[] | undefined;
  if (options?.length) return { oneOf: options.map((o) => grammarSchemaOf(o, depth + 1)) };
  const types = Array.isArray(s.type) ? (s.type as unknown[]) : [s.type];
  if (types.length > 1) {
    if (types.every(isPrimitive)) return { type: types };
    return { oneOf: types.map((t) => grammarSchemaOf({ ...s, type: t }, depth + 1)) };
  }
  const [type] = types;
  if (type === 'array') {
    return s.items ? { type: 'array', items: grammarSchemaOf(s.items, depth + 1) } : { type: 'array' };
  }
  if (type === 'object' || s.properties) {
    const props = (s.properties ?? {}) as Record<string, unknown>;
    const properties = Object.fromEntries(
      Object.entries(props).map(([k, v]) => [k, grammarSchemaOf(v, depth + 1)]),
    );
    const required = Array.isArray(s.required)
      ? s.required.filter((r) => typeof r === 'string' && r in props)
      : [];
    return { type: 'object', properties, required: required as string[], additionalProperties: false };
  }
  // Bounded: a small model repeats itself inside an open string until max_tokens.
  if (type === 'string') {
    const max = typeof s.maxLength === 'number' ? Math.min(s.maxLength, ARGUMENT_CHARS) : ARGUMENT_CHARS;
    return { type: 'string', maxLength: max };
  }
  if (isPrimitive(type)) return { type };
  return ANY_SCALAR;
}

/** One of the tools with its arguments, or the answer. */
export function toolChoiceSchema(tools: readonly FunctionTool[]): GbnfJsonSchema {
  return {
    oneOf: [
      ...tools.map((t): GbnfJsonSchema => ({
        type: 'object',
        properties: {
          tool: { const: t.function.name },
          arguments: grammarSchemaOf(t.function.parameters ?? { type: 'object' }),
        },
        required: ['tool', 'arguments'],
        additionalProperties: false,
      })),
      // Flat and bounded: an open-ended object lets a small model nest answers until max_tokens.
      {
        type: 'object',
        properties: {
          answer: {
            type: 'object',
            additionalProperties: { type: 'string', maxLength: ANSWER_FIELD_CHARS },
            maxProperties: ANSWER_FIELDS,
          },
        },
        required: ['answer'],
        additionalProperties: false,
      },
    ],
  };
}

/** The system note that tells the model what it may call and how to answer. */
export function toolsPrompt(tools: readonly FunctionTool[]): string {
  const lines = tools.map((t) => `- ${t.function.name}: ${(t.function.description ?? '').slice(0, 200)}`);
  const example = tools[0]?.function.name ?? 'name';
  return [
    'Tools you can call:',
    ...lines,
    'When you are done, reply {"answer": {"summary": "..."}}.',
    `To call a tool, reply {"tool": "<name>", "arguments": {...}}, for example {"tool": "${example}", "arguments": {...}}.`,
  ].join('\n');
}

/** An earlier call, as the model would have written it. */
export const toolCallText = (c: { function: { name: string; arguments: string } }): string =>
  `{"tool": ${JSON.stringify(c.function.name)}, "arguments": ${c.function.arguments || '{}'}}`;

/** A tool's result, as the model reads it. */
export const toolResultText = (callId: string | undefined, text: string): string =>
  `Result of tool call ${callId ?? ''}:\n${text}`;

/**
 * What the model wrote under the grammar: a call (name and arguments as JSON text) or the answer
 * as content. Text the grammar should have prevented is passed through as content.
 */
export function readToolChoice(text: string): {
  call?: { name: string; arguments: string };
  content: string | null;
} {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { content: text };
  }
  const o = (parsed ?? {}) as { tool?: unknown; arguments?: unknown; answer?: unknown };
  if (typeof o.tool === 'string') {
    return { call: { name: o.tool, arguments: JSON.stringify(o.arguments ?? {}) }, content: null };
  }
  return { content: 'answer' in o ? JSON.stringify(o.answer) : text };
}
