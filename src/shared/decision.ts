// What each step decides, as recorded in the workflow state and the audit trail (SPEC §1).
import { z } from 'zod';
import { Placement } from './agent.js';
import type { ErrorCategory } from './failures.js';

export const CLASSIFY_METHODS = ['rules', 'llm', 'hybrid', 'fallback'] as const;
export const Classification = z.object({
  domain: z.string(),
  confidence: z.number().min(0).max(1),
  reasoning: z.array(z.string()),
  method: z.enum(CLASSIFY_METHODS),
  /** Tokens and cost of the LLM call, when the LLM was asked and answered. */
  usage: z.object({ inputTokens: z.number(), outputTokens: z.number(), costUsd: z.number() }).optional(),
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
  /** Measured trust the decision used, per agent (absent in runs decided before the ledger). */
  standings: z.array(Standing).optional(),
  /** With HUMAN_REVIEW: who is asked, level by level, as deadlines pass. */
  reviewChain: z.array(z.object({ group: z.string(), members: z.array(z.string()) })).optional(),
});
export type PolicyResult = z.infer<typeof PolicyResult>;

export const Selection = z.object({
  agentId: z.string().nullable(),
  fallbacks: z.array(z.string()),
  scores: z.array(z.object({ agentId: z.string(), score: z.number(), reasons: z.array(z.string()) })),
  timeoutsMs: z.record(z.string(), z.number()),
  /** Circuit state of the selected agent and fallbacks; half-open ones must claim a probe first. */
  circuits: z.record(z.string(), z.enum(CIRCUITS)).optional(),
  /**
   * Where each agent's calls run (its own limited queue, in-process, or the main queue), decided
   * here so the history records it. Absent in selections made before agent queues existed.
   */
  placement: z.record(z.string(), Placement).optional(),
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

export const Usage = z.object({
  inputTokens: z.number().int().nonnegative().default(0),
  outputTokens: z.number().int().nonnegative().default(0),
  costUsd: z.number().nonnegative().default(0),
});
export type Usage = z.infer<typeof Usage>;

export { ERROR_CATEGORIES, isErrorCategory, type ErrorCategory } from './failures.js';

export interface Attempt {
  agentId: string;
  ok: boolean;
  errorCategory?: ErrorCategory;
  error?: string;
  latencyMs?: number;
}

export interface AuditEvent {
  at: string;
  step:
    | 'submitted'
    | 'classify'
    | 'policy'
    | 'select'
    | 'execute'
    | 'validate'
    | 'review'
    | 'stage'
    | 'cancel'
    | 'outcome';
  summary: string;
  data?: unknown;
}

export const OUTCOMES = ['SUCCEEDED', 'FAILED', 'REJECTED', 'CANCELLED'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export type ContractStatus =
  | 'classifying'
  | 'deciding'
  | 'awaiting-review'
  | 'executing'
  | 'completed'
  | 'failed'
  | 'rejected'
  | 'cancelled';

export interface ReviewRecord {
  decision: 'approve' | 'reject';
  reviewer: string;
  reason?: string;
  agentId?: string;
  at: string;
  via: 'update' | 'signal' | 'timeout';
}

/** The contract workflow's state: answered by the `state` query, returned as its result. */
export interface ContractState {
  workflowId: string;
  contractId: string;
  planId?: string;
  title: string;
  status: ContractStatus;
  classification?: Classification;
  decision?: Decision;
  review?: {
    requestedAt: string;
    deadline: string;
    why: string[];
    /** Agents policy permits once a reviewer approves. */
    permitted: string[];
    /** The group asked now, and everyone who may answer at this level. */
    group?: string;
    reviewers?: string[];
    answer?: ReviewRecord;
  };
  attempts: Attempt[];
  agentId?: string;
  output?: unknown;
  validationErrors?: string[];
  outcome?: Outcome;
  reason?: string;
  /** Pipeline stages as they ran (a stage sent back by a reviewer appears once per round). */
  stages?: { id: string; role: string; round: number; agentId: string | null; ok: boolean }[];
  usage: Usage;
  trail: AuditEvent[];
}
