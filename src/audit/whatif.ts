// `arbiter policy what-if DIR`: replay recorded decisions under another policy set. Each closed
// contract's own input (its start event), classification and measured standings (what its policy
// step saw) go through the candidate policies; routes that would change are listed. So does every
// tool call its agents' loops had decided: the tool as discovery recorded it, the standing, turn,
// calls and spending the decision saw, and whether a person had approved it. Nothing runs.
import type { Client } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import { PolicyEngine, type PolicySet } from '../governance/policy.js';
import type { Agent } from '../shared/agent.js';
import type { Contract } from '../shared/contract.js';
import type { ContractState, PolicyResult, Route } from '../shared/decision.js';
import type { DiscoveredTool, ToolRoute } from '../shared/tools.js';
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
  /** The tool calls its agents' loops had decided, each re-decided. */
  tools: ToolWhatIfRow[];
}

export interface ToolWhatIfRow {
  agentId: string;
  /** `<server>/<tool>` */
  tool: string;
  turn: number;
  callId: string;
  reviewed: boolean;
  oldRoute: ToolRoute;
  newRoute: ToolRoute | null;
  oldPolicyIds: string[];
  newPolicyIds: string[];
  changed: boolean;
  /** Why it could not be decided again (its agent is no longer registered, say). */
  skipped?: string;
}

export interface WhatIfReport {
  dir: string;
  version: string;
  considered: number;
  changed: number;
  /** Recorded tool decisions re-decided, and how many would change route. */
  toolDecisions: number;
  toolChanged: number;
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
      tools: [],
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
    tools: replayToolDecisions(engine, agents, contract, state),
  };
}

/** Re-decides each tool call a contract's loops decided, on what each decision saw then. */
export function replayToolDecisions(
  engine: PolicyEngine,
  agents: readonly Agent[],
  contract: Contract,
  state: ContractState,
): ToolWhatIfRow[] {
  const byId = new Map(agents.map((a) => [a.id, a]));
  // The tools each agent's loop discovered (the latest discovery: a retried stage discovers again).
  const discovered = new Map<string, Map<string, DiscoveredTool>>();
  const rows: ToolWhatIfRow[] = [];
  for (const e of state.trail) {
    if (e.kind === 'tools-discovered') {
      discovered.set(e.data.agentId, new Map(e.data.tools.map((t) => [`${t.server}/${t.name}`, t])));
    }
    if (e.kind !== 'tool-decided' || !state.classification) continue;
    const d = e.data;
    const row = {
      agentId: d.agentId,
      tool: d.tool,
      turn: d.turn,
      callId: d.callId,
      reviewed: d.reviewed,
      oldRoute: d.route,
      oldPolicyIds: d.policyIds,
    };
    const agent = byId.get(d.agentId);
    const tool = discovered.get(d.agentId)?.get(d.tool);
    if (!agent || !tool) {
      const skipped = agent
        ? `no discovery of ${d.tool} recorded`
        : `agent ${d.agentId} is not in the agents file`;
      rows.push({ ...row, newRoute: null, newPolicyIds: [], changed: false, skipped });
      continue;
    }
    const next = engine.decideToolCall({
      agent,
      ...(d.standing ? { standing: d.standing } : {}),
      tool,
      contract,
      classification: state.classification,
      ...(d.role ? { role: d.role } : {}),
      turn: d.turn,
      toolCalls: d.toolCallsBefore,
      spentUsd: d.spentUsd,
      reviewed: d.reviewed,
    });
    rows.push({
      ...row,
      newRoute: next.route,
      newPolicyIds: next.policyIds,
      changed: next.route !== d.route,
    });
  }
  return rows;
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
  const tools = rows.flatMap((r) => r.tools);
  return {
    dir: set.dir,
    version: set.version,
    considered: rows.length,
    changed: rows.filter((r) => r.changed).length,
    toolDecisions: tools.length,
    toolChanged: tools.filter((t) => t.changed).length,
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
  for (const row of r.rows) {
    for (const t of row.tools.filter((x) => x.changed)) {
      lines.push(
        `${row.workflowId}: tool ${t.tool} (agent ${t.agentId}, turn ${t.turn}${t.reviewed ? ', approved by a person' : ''}): ${t.oldRoute} -> ${t.newRoute ?? '-'} [${t.newPolicyIds.join(', ') || 'default deny'}]`,
      );
    }
  }
  const skipped = r.rows.filter((row) => row.skipped).length;
  if (r.toolDecisions > 0) {
    const notDecided = r.rows.flatMap((row) => row.tools).filter((t) => t.skipped).length;
    lines.push(
      `${r.toolChanged} of ${r.toolDecisions} recorded tool decision${r.toolDecisions === 1 ? '' : 's'} would change route${notDecided ? `; ${notDecided} could not be decided again` : ''}`,
    );
  }
  lines.push(
    `${r.changed} of ${r.considered} contract${r.considered === 1 ? '' : 's'} would change route under ${r.dir} (version ${r.version})${skipped ? `; ${skipped} could not be replayed` : ''}`,
  );
  return lines;
}
