// The steps of a tool-using agent's loop, as the workflow and the activities exchange them: one
// schema per input and result (src/activities/tools.ts parses every input with these), plus the
// small pure helpers the loop needs to speak to the model. Tool output is data: no schema here
// carries anything a tool returned into a decision (DecideToolCallInput is strict).
import { z } from 'zod';
import { Contract } from './contract.js';
import { Classification, Usage } from './decision.js';
import { DiscoveredServer, DiscoveredTool, LoopBounds, ToolRoute } from './tools.js';

// Discovery's shapes live in tools.ts (the trail records them too); exported here with the steps.
export { DiscoveredServer, DiscoveredTool, LoopBounds };

const JsonObject = z.record(z.string(), z.json());
const Id = z.string().min(1);
const Count = z.number().int().nonnegative();

export const DiscoverToolsInput = z.object({ agentId: Id }).strict();
export type DiscoverToolsInput = z.infer<typeof DiscoverToolsInput>;

export const DiscoverToolsResult = z.object({
  tools: z.array(DiscoveredTool),
  servers: z.array(DiscoveredServer),
  /** Recorded with the tools, so a replayed loop stops where the live one did. */
  bounds: LoopBounds,
  durationMs: Count,
});
export type DiscoverToolsResult = z.infer<typeof DiscoverToolsResult>;

/** A tool call as the model wrote it (arguments are the model's raw JSON text). */
export const ModelToolCall = z.object({ id: Id, name: z.string(), arguments: z.string() });
export type ModelToolCall = z.infer<typeof ModelToolCall>;

export const AssistantMessage = z.object({
  role: z.literal('assistant'),
  content: z.string().nullable(),
  toolCalls: z.array(ModelToolCall),
});
export type AssistantMessage = z.infer<typeof AssistantMessage>;

/**
 * The conversation after the opening prompt (which the model turn builds from the agent's system
 * prompt and the contract): the model's turns, tool results and refusals, and the loop's notes.
 */
export const ChatMessage = z.discriminatedUnion('role', [
  z.object({ role: z.literal('user'), content: z.string() }),
  AssistantMessage,
  z.object({ role: z.literal('tool'), toolCallId: Id, content: z.string() }),
]);
export type ChatMessage = z.infer<typeof ChatMessage>;

export const ModelTurnInput = z
  .object({
    agentId: Id,
    contract: Contract,
    /** Prerequisite output or pipeline input, as for a plain agent call. */
    input: z.json().optional(),
    transcript: z.array(ChatMessage),
    /** The tools discovery kept (DiscoverToolsResult.tools), offered to the model as functions. */
    tools: z.array(DiscoveredTool),
    /** 1 for the first turn. */
    turn: z.number().int().min(1),
  })
  .strict();
export type ModelTurnInput = z.input<typeof ModelTurnInput>;

/**
 * One tool call the model asked for: runnable (`ok`), or malformed (unknown tool, arguments that
 * are not a JSON object or do not match the tool's inputSchema), reported as data, never thrown.
 */
export const ToolCallRequest = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    id: Id,
    functionName: z.string(),
    server: Id,
    tool: Id,
    arguments: JsonObject,
    /** sha256 of the arguments as the model sent them: what the trail records. */
    argumentsDigest: z.string(),
  }),
  z.object({
    ok: z.literal(false),
    id: Id,
    functionName: z.string(),
    error: z.string(),
    argumentsDigest: z.string(),
  }),
]);
export type ToolCallRequest = z.infer<typeof ToolCallRequest>;

/** With no tool calls, the model's content read as the contract's output (one JSON value). */
export const ModelAnswer = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), output: z.json() }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);
export type ModelAnswer = z.infer<typeof ModelAnswer>;

export const ModelTurnResult = z.object({
  /** Append this to the transcript (its tool call ids are the ones `toolCalls` uses). */
  message: AssistantMessage,
  toolCalls: z.array(ToolCallRequest),
  /** Present when the model asked for no tool: its final answer, or why it is not usable. */
  answer: ModelAnswer.optional(),
  finishReason: z.string().nullable(),
  /** Real token usage and its cost by the agent's pricing (or config/pricing.yaml). */
  usage: Usage,
  durationMs: Count,
});
export type ModelTurnResult = z.infer<typeof ModelTurnResult>;

/** The agent's measured standing when it was chosen (PolicyResult.standings). */
export const ToolStanding = z.object({ trust: z.number().min(0).max(1), probation: z.boolean() });

export const DecideToolCallInput = z
  .object({
    agentId: Id,
    /** The tool as recorded by discovery, never re-read from the server. */
    tool: DiscoveredTool,
    contract: Contract,
    classification: Classification,
    role: z.string().optional(),
    /** Absent: judged as unmeasured (on probation, no trust); unknown means deny. */
    standing: ToolStanding.optional(),
    /** The turn the call was asked for (1-based), calls already made, dollars already spent. */
    turn: z.number().int().min(1),
    toolCalls: Count,
    spentUsd: z.number().nonnegative(),
    /** True only after a person approved this call. */
    reviewed: z.boolean().default(false),
  })
  .strict();
export type DecideToolCallInput = z.input<typeof DecideToolCallInput>;

export const ToolDecision = z.object({
  /** `<server>/<tool>` */
  tool: z.string(),
  route: ToolRoute,
  policyIds: z.array(z.string()),
  explanation: z.array(z.string()),
  policyVersion: z.string(),
  /** With HUMAN_REVIEW: how long each reviewer level has (the shortest @reviewWithin that fired). */
  reviewWithinMs: z.number().int().positive().optional(),
});
export type ToolDecision = z.infer<typeof ToolDecision>;

export const CallToolInput = z
  .object({
    agentId: Id,
    server: Id,
    tool: Id,
    arguments: JsonObject,
    /** The same on every retry of this call (toolCallKey): the server may use it to run it once. */
    idempotencyKey: z.string().min(1).max(512),
  })
  .strict();
export type CallToolInput = z.infer<typeof CallToolInput>;

export const CallToolResult = z.object({
  /** The result as the model reads it, cut at the agent's maxToolResultBytes. */
  text: z.string(),
  /** The tool's structured result, when it sent one that fits the same cap. */
  data: JsonObject.optional(),
  /** The tool ran and reported a failure (bad path, ...): data for the model, not a failed step. */
  isError: z.boolean(),
  /** Size of the whole result text before the cap, in bytes. */
  bytes: Count,
  truncated: z.boolean(),
  durationMs: Count,
  /** The server's declared cost per call (agents.yaml costPerCallUsd). */
  costUsd: z.number().nonnegative(),
});
export type CallToolResult = z.infer<typeof CallToolResult>;

// The loop's helpers build no schema, so the workflow imports them from their own module.
export {
  callToolTimeoutMs,
  jsonBytes,
  malformedMessage,
  MAX_TURN_INPUT_BYTES,
  refusedMessage,
  toolAttempts,
  toolCallKey,
  toolResultMessage,
  utf8Bytes,
} from './toolCallRules.js';
