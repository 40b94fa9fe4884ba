// The plan workflow's state, as answered by its `state` query and returned as its result.
import type { Plan } from './contract.js';
import type { Outcome, Route } from './decision.js';
import { slugify } from './slug.js';

export type NodeStatus =
  'pending' | 'running' | 'awaiting-review' | 'succeeded' | 'failed' | 'rejected' | 'skipped' | 'cancelled';

export interface PlanNode {
  id: string;
  workflowId: string;
  dependsOn: string[];
  status: NodeStatus;
  outcome?: Outcome;
  route?: Route;
  agentId?: string;
  domain?: string;
  costUsd: number;
  /** Why it failed, was rejected or skipped (`DEPENDENCY_FAILED: <id>` for skips). */
  reason?: string;
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
  generation?: {
    prompt: string;
    method: 'llm' | 'fallback';
    reason?: string;
    attempts: number;
    costUsd?: number;
  };
  nodes: PlanNode[];
  costUsd: number;
  /** How many workflow runs the plan has used (continue-as-new keeps big plans' histories small). */
  runs: number;
  cancelReason?: string;
}

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
