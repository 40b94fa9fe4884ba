// Names shared by workflows, activities and clients. Workflow-safe: no Node imports.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The workflow types the worker registers (the functions src/workflows/index.ts exports). */
export const WORKFLOW_TYPES = {
  contract: 'contractWorkflow',
  plan: 'planWorkflow',
  request: 'requestWorkflow',
  agentLedger: 'agentLedgerWorkflow',
} as const;

export const SEARCH_ATTRIBUTES = {
  plan: defineSearchAttributeKey('ArbiterPlan', SearchAttributeType.KEYWORD),
  domain: defineSearchAttributeKey('ArbiterDomain', SearchAttributeType.KEYWORD),
  route: defineSearchAttributeKey('ArbiterRoute', SearchAttributeType.KEYWORD),
  agent: defineSearchAttributeKey('ArbiterAgent', SearchAttributeType.KEYWORD),
  outcome: defineSearchAttributeKey('ArbiterOutcome', SearchAttributeType.KEYWORD),
  policyVersion: defineSearchAttributeKey('ArbiterPolicyVersion', SearchAttributeType.KEYWORD),
  confidence: defineSearchAttributeKey('ArbiterConfidence', SearchAttributeType.DOUBLE),
  costUsd: defineSearchAttributeKey('ArbiterCostUsd', SearchAttributeType.DOUBLE),
} as const;

/** A visibility-query clause `Key = "value"`, quotes in the value escaped. */
export function equals(key: { name: string } | string, value: string): string {
  return `${typeof key === 'string' ? key : key.name} = "${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export const contractWorkflowId = (contractId: string, planId?: string): string =>
  planId ? `plan/${planId}/${contractId}` : `contract/${contractId}`;
export const planWorkflowId = (planId: string): string => `plan/${planId}`;

/** Review deadline when no policy names one. */
export const DEFAULT_REVIEW_MS = 24 * 3_600_000;
