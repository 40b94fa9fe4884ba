// The plan workflow's input and state, as answered by its `state` query and returned as its result.
import { z } from 'zod';
import { Plan, Slug } from './contract.js';
import { slugify } from './slug.js';

export const NODE_STATUSES = [
  'pending',
  'running',
  'awaiting-review',
  'succeeded',
  'failed',
  'rejected',
  'skipped',
  'cancelled',
] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

/** How a contract of a conditional plan runs: alongside others, one at a time, or after a person. */
export const PLAN_MODES = ['parallel', 'sequential', 'human-review'] as const;
export type PlanMode = (typeof PLAN_MODES)[number];
/** The `@route` annotations a plan-routing policy may carry: the mode it implies. */
export const PLAN_ROUTES = ['PARALLEL', 'SEQUENTIAL', 'HUMAN_REVIEW'] as const;
export type PlanRoute = (typeof PLAN_ROUTES)[number];

/** One routing decision of a conditional plan, as Cedar made it (see policies/plans.cedar). */
export const PlanRouting = z.object({
  mode: z.enum(PLAN_MODES),
  policyIds: z.array(z.string()),
  explanation: z.array(z.string()),
  policyVersion: z.string(),
  /** The rules' classification the decision saw (no LLM: routing must be cheap and repeatable). */
  domain: z.string(),
});
export type PlanRouting = z.infer<typeof PlanRouting>;

export const PlanNode = z.object({
  id: z.string(),
  workflowId: z.string(),
  dependsOn: z.array(z.string()),
  status: z.enum(NODE_STATUSES),
  outcome: z.enum(['SUCCEEDED', 'FAILED', 'REJECTED', 'CANCELLED']).optional(),
  route: z.enum(['AGENT', 'HUMAN_REVIEW', 'REJECT']).optional(),
  agentId: z.string().optional(),
  domain: z.string().optional(),
  costUsd: z.number(),
  /** Why it failed, was rejected or skipped (`DEPENDENCY_FAILED: <id>` for skips). */
  reason: z.string().optional(),
  /** Conditional plans: how policy said this contract runs, decided before it started. */
  routing: PlanRouting.optional(),
  /** While `awaiting-review` (filled in by `arbiter status`): why, and until when. */
  review: z.object({ why: z.array(z.string()), deadline: z.string() }).optional(),
});
export type PlanNode = z.infer<typeof PlanNode>;

/** How a plan made from a request in words was written, and why it fell back if it did. */
export const Generation = z
  .object({
    prompt: z.string(),
    method: z.enum(['llm', 'fallback']),
    reason: z.string().optional(),
    attempts: z.number().int().nonnegative(),
    costUsd: z.number().nonnegative().optional(),
  })
  .strict();
export type Generation = z.infer<typeof Generation>;

/** What starts a plan's workflow (and what each continue-as-new carries to the next run). */
export const PlanInput = z
  .object({
    plan: Plan,
    /** State carried over a continue-as-new: where every node stands, and outputs still needed. */
    carried: z
      .object({
        nodes: z.array(PlanNode),
        outputs: z.record(z.string(), z.unknown()),
        costUsd: z.number(),
        runs: z.number().int().positive(),
      })
      .optional(),
    /** Roll over to a fresh run past this many history events (Temporal's own hint also counts). */
    rollOverAfterEvents: z.number().int().positive().optional(),
    /** Set when the plan was generated from a request in words (see request.ts). */
    generation: Generation.optional(),
  })
  .strict();
export type PlanInput = z.infer<typeof PlanInput>;
export type PlanInputPayload = z.input<typeof PlanInput>;

/** A request in words: the text, and the plan id it becomes. */
export const RequestInput = z
  .object({
    prompt: z.string().trim().min(1, { error: 'the request is empty; describe the work to do' }),
    planId: Slug,
  })
  .strict();
export type RequestInput = z.infer<typeof RequestInput>;

/** The progress summary a running plan keeps in its memo: what `status` shows without a query. */
export interface PlanProgress extends Pick<
  PlanState,
  'title' | 'strategy' | 'maxParallel' | 'costUsd' | 'runs'
> {
  /** Nodes per status (statuses with none are left out). */
  counts: Partial<Record<NodeStatus, number>>;
  total: number;
  /** When the plan wrote it (workflow time). */
  at: string;
}
/** The memo key of that summary. */
export const PROGRESS_MEMO = 'arbiterProgress';

/** Nodes per status, in the order statuses first appear. */
export function countByStatus(
  nodes: readonly Pick<PlanNode, 'status'>[],
): Partial<Record<NodeStatus, number>> {
  const counts: Partial<Record<NodeStatus, number>> = {};
  for (const n of nodes) counts[n.status] = (counts[n.status] ?? 0) + 1;
  return counts;
}

/** The progress summary of a plan's state at `at`. */
export function progressOf(state: PlanState, at: string): PlanProgress {
  const { title, strategy, maxParallel, costUsd, runs } = state;
  return {
    title,
    strategy,
    maxParallel,
    costUsd,
    runs,
    counts: countByStatus(state.nodes),
    total: state.nodes.length,
    at,
  };
}

export interface PlanState {
  kind: 'plan';
  workflowId: string;
  planId: string;
  title: string;
  strategy: string;
  maxParallel: number;
  status: 'generating' | 'running' | 'completed' | 'cancelled';
  /** For a plan generated from a request in words: how, and why it fell back if it did. */
  generation?: Generation;
  nodes: PlanNode[];
  costUsd: number;
  /** How many workflow runs the plan has used (continue-as-new keeps big plans' histories small). */
  runs: number;
  cancelReason?: string;
  /** Signals whose payload could not be taken: ignored, and recorded here. */
  ignoredSignals?: { signal: string; problem: string }[];
  /**
   * Set when the plan was too busy to answer within `arbiter status`'s deadline: the counts from its
   * progress memo stand in for the per-node detail (`nodes` is then empty).
   */
  progress?: PlanProgress;
}

/** How many contracts of a plan depend directly on each one. */
export function dependentsCount(contracts: readonly { id: string; dependsOn: readonly string[] }[]) {
  const counts = new Map<string, number>();
  for (const c of contracts) for (const d of c.dependsOn) counts.set(d, (counts.get(d) ?? 0) + 1);
  return counts;
}

/** Contracts per routing activity: big plans take a few calls, each payload well under 2 MB. */
export const ROUTING_BATCH = 200;

/** Splits the nodes to route into batches of at most `size`, in order. */
export function routingBatches<T>(items: readonly T[], size = ROUTING_BATCH): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  return batches;
}

/** True while a sequential-routed contract runs: the next sequential one must wait for it. */
export const sequentialBlocked = (nodes: readonly Pick<PlanNode, 'status' | 'routing'>[]): boolean =>
  nodes.some(
    (n) => n.routing?.mode === 'sequential' && (n.status === 'running' || n.status === 'awaiting-review'),
  );

/** True for statuses a node never leaves. */
export const isSettled = (s: NodeStatus): boolean =>
  s === 'succeeded' || s === 'failed' || s === 'rejected' || s === 'skipped' || s === 'cancelled';

/**
 * The graceful degradation of a request in words: the whole request as one contract that a
 * person must review. Plain data (no schema library), so the request workflow can build it.
 */
export function fallbackPlan(prompt: string, planId: string): Plan {
  const title = prompt.length > 70 ? `${prompt.slice(0, 67)}...` : prompt;
  return {
    id: planId,
    title,
    strategy: 'dependency-aware',
    maxParallel: 8,
    contracts: [
      {
        id: slugify(prompt.split(/\s+/).slice(0, 6).join(' ')),
        title,
        objective: prompt,
        acceptanceCriteria: [],
        constraints: { dataClass: 'internal' },
        dependsOn: [],
        review: 'always',
      },
    ],
  };
}
