// `arbiter policy what-if DIR`: replay recorded decisions under another policy set. Each closed
// contract's own input (its start event), classification and measured standings (what its policy
// step saw) go through the candidate policies; routes that would change are listed. Nothing runs.
import type { Client } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import { PolicyEngine, type PolicySet } from '../governance/policy.js';
import type { Agent } from '../shared/agent.js';
import type { ContractState, PolicyResult, Route } from '../shared/decision.js';
import { startInputOf, trustFromStandings } from './fromHistory.js';
import { listClosedContracts, type BundleSource } from './source.js';

export interface WhatIfRow {
  workflowId: string;
  oldRoute: Route | null;
  newRoute: Route | null;
  oldPolicyIds: string[];
  newPolicyIds: string[];
  oldPermitted: string[] | null;
  newPermitted: string[];
  changed: boolean;
  /** 'recorded': the standings the decision used; 'fresh': none recorded, every agent counted as new. */
  trust: 'recorded' | 'fresh';
  /** Why a contract could not be replayed (e.g. cancelled before it was classified). */
  skipped?: string;
}

export interface WhatIfReport {
  dir: string;
  version: string;
  considered: number;
  changed: number;
  rows: WhatIfRow[];
}

/** The contract's own policy decision as its trail recorded it (candidates, standings). */
function decisionOf(state: ContractState): PolicyResult | undefined {
  const decided = state.trail.find((e) => e.kind === 'decided');
  return decided?.kind === 'decided' ? decided.data : undefined;
}

/** Re-decides one recorded contract under `engine`. Pure given its history and final state. */
export function replayDecision(
  engine: PolicyEngine,
  agents: readonly Agent[],
  workflowId: string,
  history: History,
  state: ContractState,
): WhatIfRow {
  const old = state.decision;
  const decided = decisionOf(state);
  const base = {
    workflowId,
    oldRoute: old?.route ?? null,
    oldPolicyIds: old?.policyIds ?? [],
    oldPermitted: decided?.candidates.filter((c) => c.permitted).map((c) => c.agentId) ?? null,
  };
  if (!state.classification) {
    return {
      ...base,
      newRoute: null,
      newPolicyIds: [],
      newPermitted: [],
      changed: false,
      trust: 'fresh',
      skipped: 'never classified (ended before its policy step)',
    };
  }
  const { contract } = startInputOf(history);
  const trust = trustFromStandings(decided?.standings);
  const result = engine.evaluate({
    contract,
    classification: state.classification,
    agents,
    reviewed: false,
    ...(trust ? { trust } : {}),
  });
  return {
    ...base,
    newRoute: result.route,
    newPolicyIds: result.policyIds,
    newPermitted: result.permitted,
    changed: result.route !== (old?.route ?? null),
    trust: trust ? 'recorded' : 'fresh',
  };
}

/** The last `last` closed contracts of the task queue, re-decided under `set`. */
export async function whatIf(
  client: Client,
  taskQueue: string,
  bundle: BundleSource,
  set: PolicySet,
  agents: readonly Agent[],
  last: number,
): Promise<WhatIfReport> {
  const engine = new PolicyEngine(set);
  const contracts = await listClosedContracts(client, taskQueue, bundle, { last, withHistory: true });
  const rows = contracts.map((c) => replayDecision(engine, agents, c.workflowId, c.history!, c.state));
  return {
    dir: set.dir,
    version: set.version,
    considered: rows.length,
    changed: rows.filter((r) => r.changed).length,
    rows,
  };
}

export function whatIfLines(r: WhatIfReport): string[] {
  const lines = r.rows
    .filter((row) => row.changed)
    .map(
      (row) =>
        `${row.workflowId}: ${row.oldRoute ?? '-'} -> ${row.newRoute ?? '-'} [${row.newPolicyIds.join(', ') || 'default deny'}]`,
    );
  const skipped = r.rows.filter((row) => row.skipped).length;
  lines.push(
    `${r.changed} of ${r.considered} contract${r.considered === 1 ? '' : 's'} would change route under ${r.dir} (version ${r.version})${skipped ? `; ${skipped} could not be replayed` : ''}`,
  );
  return lines;
}
