// What each step of a contract decides, as the workflow records it (SPEC §1): one zod schema per
// shape, types inferred. Workflow code imports this module for its types only (`import type`):
// building these schemas is work the sandbox would otherwise repeat for every workflow it runs.
import { z } from 'zod';
import { Placement } from './agent.js';
import { DataClass } from './contract.js';
import { ERROR_CATEGORIES } from './failures.js';
import { ReviewAnswer } from './messages.js';
import { ReviewLevel } from './reviewers.js';
import { DiscoveredServer, DiscoveredTool, LoopBounds, ToolRoute } from './tools.js';

export const Usage = z.object({
  inputTokens: z.number().int().nonnegative().default(0),
  outputTokens: z.number().int().nonnegative().default(0),
  costUsd: z.number().nonnegative().default(0),
});
export type Usage = z.infer<typeof Usage>;

export const CLASSIFY_METHODS = ['rules', 'llm', 'hybrid', 'fallback'] as const;
export const Classification = z.object({
  domain: z.string(),
  confidence: z.number().min(0).max(1),
  reasoning: z.array(z.string()),
  method: z.enum(CLASSIFY_METHODS),
  /** Tokens and cost of the LLM call, when the LLM was asked and answered. */
  usage: Usage.optional(),
});
export type Classification = z.infer<typeof Classification>;

export const ROUTES = ['AGENT', 'HUMAN_REVIEW', 'REJECT'] as const;
export const Route = z.enum(ROUTES);
export type Route = z.infer<typeof Route>;

export const CandidateVerdict = z.object({
  agentId: z.string(),
  permitted: z.boolean(),
  /** Ids of the policies that decided this agent's verdict. */
  policyIds: z.array(z.string()),
});
export type CandidateVerdict = z.infer<typeof CandidateVerdict>;

export const CIRCUITS = ['closed', 'open', 'half-open'] as const;

/** An agent's measured standing as read from its ledger when the decision was made. */
export const Standing = z.object({
  agentId: z.string(),
  trust: z.number(),
  probation: z.boolean(),
  routable: z.boolean(),
  circuit: z.enum(CIRCUITS),
  /** Median measured latency, when the agent has answered before. */
  latencyP50Ms: z.number().nullable().optional(),
  /** True when the ledger could not be read in time and the agent was judged as unproven. */
  unmeasured: z.boolean().optional(),
});
export type Standing = z.infer<typeof Standing>;

/** The policy engine's answer before selection: who may do the work, and the route. */
export const PolicyResult = z.object({
  route: Route,
  permitted: z.array(z.string()),
  candidates: z.array(CandidateVerdict),
  explanation: z.array(z.string()),
  policyIds: z.array(z.string()),
  policyVersion: z.string(),
  reviewWithinMs: z.number().int().positive().optional(),
  /** Measured trust the decision used, per agent. */
  standings: z.array(Standing).optional(),
  /** Who is asked, level by level, when a person must decide (review, or every agent failed). */
  reviewChain: z.array(ReviewLevel).optional(),
});
export type PolicyResult = z.infer<typeof PolicyResult>;

export const AgentScore = z.object({ agentId: z.string(), score: z.number(), reasons: z.array(z.string()) });

export const Selection = z.object({
  agentId: z.string().nullable(),
  fallbacks: z.array(z.string()),
  scores: z.array(AgentScore),
  timeoutsMs: z.record(z.string(), z.number()),
  /** Circuit state of the selected agent and fallbacks; half-open ones must claim a probe first. */
  circuits: z.record(z.string(), z.enum(CIRCUITS)),
  /** Where each agent's calls run (its own limited queue, in-process, or the main queue). */
  placement: z.record(z.string(), Placement),
});
export type Selection = z.infer<typeof Selection>;

/** SPEC §1's decision record. */
export const Decision = z.object({
  route: Route,
  agentId: z.string().nullable(),
  fallbacks: z.array(z.string()),
  explanation: z.array(z.string()),
  policyIds: z.array(z.string()),
  policyVersion: z.string(),
});
export type Decision = z.infer<typeof Decision>;

const ErrorCategory = z.enum(ERROR_CATEGORIES);

export const Attempt = z.object({
  agentId: z.string(),
  ok: z.boolean(),
  errorCategory: ErrorCategory.optional(),
  error: z.string().optional(),
  latencyMs: z.number().optional(),
});
export type Attempt = z.infer<typeof Attempt>;

export const OUTCOMES = ['SUCCEEDED', 'FAILED', 'REJECTED', 'CANCELLED'] as const;
export const Outcome = z.enum(OUTCOMES);
export type Outcome = z.infer<typeof Outcome>;

export const CONTRACT_STATUSES = [
  'classifying',
  'deciding',
  'awaiting-review',
  'executing',
  'completed',
  'failed',
  'rejected',
  'cancelled',
] as const;
export const ContractStatus = z.enum(CONTRACT_STATUSES);
export type ContractStatus = z.infer<typeof ContractStatus>;

/**
 * What a person is asked about: the contract itself, a pipeline stage, a retry after every agent
 * failed, a tool call an agent wants to make, or a question a remote agent asks.
 */
export const REVIEW_SUBJECTS = ['contract', 'stage', 'escalation', 'tool-call', 'agent-question'] as const;
export const ReviewSubject = z.enum(REVIEW_SUBJECTS);
export type ReviewSubject = z.infer<typeof ReviewSubject>;

/** A review's answer as recorded: the reviewer's, or the safe default when nobody answered. */
export const ReviewRecord = ReviewAnswer.extend({
  at: z.string(),
  via: z.enum(['update', 'signal', 'timeout']),
});
export type ReviewRecord = z.infer<typeof ReviewRecord>;

/** A review as it opens at one level of its chain (and again at each escalation). */
export const ReviewOpened = z.object({
  subject: ReviewSubject,
  /** 0 for the first group asked; each escalation adds one. */
  level: z.number().int().nonnegative(),
  group: z.string(),
  /** Everyone who may answer from now on (earlier levels keep their say). */
  reviewers: z.array(z.string()),
  deadline: z.string(),
  why: z.array(z.string()),
  /** Agents policy permits once a reviewer approves. */
  permitted: z.array(z.string()),
});
export type ReviewOpened = z.infer<typeof ReviewOpened>;

export const ReviewState = ReviewOpened.omit({ level: true }).extend({
  requestedAt: z.string(),
  answer: ReviewRecord.optional(),
});
export type ReviewState = z.infer<typeof ReviewState>;

/** A pipeline stage as it ran (a stage sent back by a reviewer runs once per round). */
export const StageRun = z.object({
  id: z.string(),
  role: z.string(),
  round: z.number().int().positive(),
  agentId: z.string().nullable(),
  ok: z.boolean(),
});
export type StageRun = z.infer<typeof StageRun>;

/** An agent call's trail label: `<contract>` or `<contract>/<stage> (<role>)`. */
const label = z.string();

/**
 * The trail: every event a contract's run records, in order, each with a readable summary. The
 * workflow records each event once; the contract's state is these events folded by `applyEvent`
 * (trail.ts), live in the workflow and again when a history is read with no worker up.
 */
const event = <K extends string, S extends string, D extends z.ZodType>(kind: K, step: S, data: D) =>
  z.object({ kind: z.literal(kind), step: z.literal(step), at: z.string(), summary: z.string(), data });

export const TrailEvent = z.discriminatedUnion('kind', [
  event(
    'submitted',
    'submitted',
    z.object({
      workflowId: z.string(),
      contractId: z.string(),
      title: z.string(),
      planId: z.string().optional(),
      dataClass: DataClass,
    }),
  ),
  event('classified', 'classify', Classification),
  event('decided', 'policy', PolicyResult),
  /** A plan's routing asks for a person on top of policy (`ContractInput.requireReview`). */
  event('review-required', 'review', z.object({ why: z.array(z.string()) })),
  event('review-opened', 'review', ReviewOpened),
  event('review-answered', 'review', ReviewRecord),
  /** A signal whose payload could not be taken (malformed, or from someone who may not send it). */
  event(
    'signal-ignored',
    'signal',
    z.object({ signal: z.string(), problem: z.string(), payload: z.unknown() }),
  ),
  event('escalated', 'review', z.object({ reason: z.string() })),
  event(
    'selected',
    'select',
    z.object({
      agentId: z.string().nullable(),
      fallbacks: z.array(z.string()),
      scores: z.array(AgentScore),
      /** The pipeline stage it was selected for, if any. */
      stage: z.string().optional(),
      /** Selected again after a person approved a retry. */
      retry: z.boolean().optional(),
    }),
  ),
  event('probe', 'execute', z.object({ agentId: z.string(), granted: z.boolean(), label })),
  event(
    'agent-answered',
    'execute',
    z.object({
      agentId: z.string(),
      label,
      latencyMs: z.number(),
      usage: Usage,
      /**
       * A tool loop's answer: its turns and tool calls. Its usage was counted turn by turn (the
       * model-turn and tool-called events), so it is not counted again; latency is the model's.
       */
      loop: z.object({ turns: z.number().int(), toolCalls: z.number().int() }).optional(),
    }),
  ),
  event(
    'agent-failed',
    'execute',
    z.object({ agentId: z.string(), label, category: ErrorCategory, message: z.string() }),
  ),
  event(
    'output-checked',
    'validate',
    z.object({ agentId: z.string(), errors: z.array(z.string()), hasSchema: z.boolean() }),
  ),
  /** An outcome (or a reviewer's verdict) that did not reach the agent's trust ledger. */
  event(
    'not-measured',
    'execute',
    z.object({ agentId: z.string(), message: z.string(), verdict: z.boolean().optional() }),
  ),
  event(
    'stage-decided',
    'stage',
    z.object({ stage: z.string(), role: z.string(), afterReview: z.boolean(), policy: PolicyResult }),
  ),
  event('stage-finished', 'stage', StageRun),
  event('sent-back', 'stage', z.object({ stage: z.string(), round: z.number().int(), feedback: z.string() })),
  /** A reviewer channel was told (or had already been told: a retried delivery sends nothing). */
  event(
    'notified',
    'notify',
    z.object({
      channel: z.string(),
      event: z.string(),
      kind: z.string(),
      target: z.string(),
      status: z.enum(['sent', 'already-sent']),
      attempt: z.number().int().positive(),
    }),
  ),
  /** A reviewer channel could not be told; the review and the contract go on regardless. */
  event(
    'notify-failed',
    'notify',
    z.object({ channel: z.string(), event: z.string(), error: z.string(), pending: z.boolean().optional() }),
  ),
  /** A remote agent's task (A2A) behind an attempt: its id and the states it was seen in. */
  event(
    'remote-task',
    'execute',
    z.object({
      agentId: z.string(),
      label,
      protocol: z.string(),
      taskId: z.string(),
      states: z.array(z.object({ state: z.string(), at: z.string() })),
    }),
  ),
  /** A tool loop began: the tools its agent may offer the model, as discovered, and its bounds. */
  event(
    'tools-discovered',
    'tool',
    z.object({
      agentId: z.string(),
      label,
      tools: z.array(DiscoveredTool),
      servers: z.array(DiscoveredServer),
      bounds: LoopBounds,
      durationMs: z.number(),
    }),
  ),
  /** One model turn of a tool loop: what it asked for, its real token usage and cost. */
  event(
    'model-turn',
    'tool',
    z.object({
      agentId: z.string(),
      label,
      turn: z.number().int(),
      /** Tool calls the model asked for in this turn (malformed ones included). */
      toolCalls: z.number().int(),
      /** It answered without a tool call and the answer was usable as output. */
      answered: z.boolean(),
      /** Why an answer without tool calls could not be used (the model is told, and goes on). */
      answerError: z.string().optional(),
      finishReason: z.string().nullable(),
      usage: Usage,
      durationMs: z.number(),
    }),
  ),
  /** Policy on one tool call: route, the policies that decided it and their version, and what it saw. */
  event(
    'tool-decided',
    'tool',
    z.object({
      agentId: z.string(),
      label,
      turn: z.number().int(),
      callId: z.string(),
      /** `<server>/<tool>` */
      tool: z.string(),
      /** sha256 of the arguments as the model wrote them (the arguments stay in the history). */
      argumentsDigest: z.string(),
      route: ToolRoute,
      policyIds: z.array(z.string()),
      explanation: z.array(z.string()),
      policyVersion: z.string(),
      /** Decided after a person approved the call. */
      reviewed: z.boolean(),
      /** What the decision was given: the agent's measured standing, calls made, money spent. */
      standing: z.object({ trust: z.number(), probation: z.boolean() }).optional(),
      role: z.string().optional(),
      toolCallsBefore: z.number().int(),
      spentUsd: z.number(),
    }),
  ),
  /** A tool call that ran (or whose step failed): the result's size, never its content. */
  event(
    'tool-called',
    'tool',
    z.object({
      agentId: z.string(),
      label,
      turn: z.number().int(),
      callId: z.string(),
      tool: z.string(),
      bytes: z.number().int(),
      truncated: z.boolean(),
      /** The tool ran and reported a failure (data for the model). */
      isError: z.boolean(),
      durationMs: z.number(),
      costUsd: z.number(),
      /** The step itself failed (server unreachable, timeout): the model is told it may not have run. */
      failed: z.string().optional(),
    }),
  ),
  /** A tool call the model wrote badly (unknown tool, bad arguments): answered with the error. */
  event(
    'tool-malformed',
    'tool',
    z.object({
      agentId: z.string(),
      label,
      turn: z.number().int(),
      callId: z.string(),
      functionName: z.string(),
      argumentsDigest: z.string(),
      error: z.string(),
    }),
  ),
  event('cancel-requested', 'cancel', z.object({ by: z.string().optional(), reason: z.string().optional() })),
  event(
    'finished',
    'outcome',
    z.object({ outcome: Outcome, reason: z.string().optional(), agentId: z.string().nullable().optional() }),
  ),
]);
export type TrailEvent = z.infer<typeof TrailEvent>;
export type TrailKind = TrailEvent['kind'];
export type TrailStep = TrailEvent['step'];
export type TrailData<K extends TrailKind> = Extract<TrailEvent, { kind: K }>['data'];

/** The contract workflow's state: answered by the `state` query, returned as its result. */
export const ContractState = z.object({
  workflowId: z.string(),
  contractId: z.string(),
  planId: z.string().optional(),
  title: z.string(),
  status: ContractStatus,
  classification: Classification.optional(),
  decision: Decision.optional(),
  review: ReviewState.optional(),
  attempts: z.array(Attempt),
  agentId: z.string().optional(),
  /** The work product; not part of the trail (the trail records decisions, not deliverables). */
  output: z.unknown().optional(),
  validationErrors: z.array(z.string()).optional(),
  outcome: Outcome.optional(),
  reason: z.string().optional(),
  stages: z.array(StageRun).optional(),
  usage: Usage,
  trail: z.array(TrailEvent),
});
export type ContractState = z.infer<typeof ContractState>;
