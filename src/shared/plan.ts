// The plan workflow's state, as answered by its `state` query and returned as its result.
import type { Outcome, Route } from './decision.js';

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
  generation?: { prompt: string; method: 'llm' | 'fallback'; reason?: string; attempts: number };
  nodes: PlanNode[];
  costUsd: number;
  /** How many workflow runs the plan has used (continue-as-new keeps big plans' histories small). */
  runs: number;
  cancelReason?: string;
}

/** True for statuses a node never leaves. */
export const isSettled = (s: NodeStatus): boolean =>
  s === 'succeeded' || s === 'failed' || s === 'rejected' || s === 'skipped' || s === 'cancelled';
