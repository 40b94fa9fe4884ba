// Bench-only workflows, bundled by the bench worker (its own task queue): the bare Temporal
// baselines B0 / B0-local, and a mimic of the contract workflow's happy path with every step a
// regular activity (the product's shape before its steps became local activities), so the lever's
// effect is measured in the same run. Deterministic code only.
import { executeChild, proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../src/activities/index.js';
import type { Contract } from '../src/shared/contract.js';

/** The steps an Arbiter contract runs, in order (see src/workflows/contract.ts). */
export const CONTRACT_STEPS = [
  'classify',
  'evaluatePolicy',
  'selectAgent',
  'executeAgent',
  'validateOutput',
  'recordAgentOutcome',
  'recordAudit',
] as const;

export interface NoopActivities {
  noop(step: string): Promise<string>;
}

const options = { startToCloseTimeout: '10s', retry: { maximumAttempts: 3 } } as const;
const remote = proxyActivities<NoopActivities>(options);
const local = proxyLocalActivities<NoopActivities>(options);

/** B0: one no-op (regular) activity per contract step. */
export async function bareWorkflow(steps: number): Promise<number> {
  for (let i = 0; i < steps; i++) await remote.noop(CONTRACT_STEPS[i % CONTRACT_STEPS.length]!);
  return steps;
}

/** B0-local: the same with local activities. */
export async function bareLocalWorkflow(steps: number): Promise<number> {
  for (let i = 0; i < steps; i++) await local.noop(CONTRACT_STEPS[i % CONTRACT_STEPS.length]!);
  return steps;
}

type Real = Pick<
  Activities,
  | 'classify'
  | 'evaluatePolicy'
  | 'selectAgent'
  | 'executeAgent'
  | 'validateOutput'
  | 'recordAgentOutcome'
  | 'recordAudit'
>;
const realRemote = proxyActivities<Real>({ startToCloseTimeout: '30s', retry: { maximumAttempts: 3 } });
const realLocal = proxyLocalActivities<Real>({ startToCloseTimeout: '30s', retry: { maximumAttempts: 3 } });

export interface MimicInput {
  contract: Contract;
  /** 'none': every step a regular activity (the shape before); 'all': every step local. */
  local: 'none' | 'all';
  /** false: skip the trust-ledger update, the bound of what batching those updates could save. */
  ledger?: boolean;
}

/**
 * The contract workflow's happy path (classify → policy → select → execute → validate → record
 * outcome → audit) with the real activities, some of them local. No search attributes, review,
 * fallback or trail: it bounds what moving steps to local activities could save, nothing more.
 */
export async function contractLocalMimic({
  contract,
  local: which,
  ledger = true,
}: MimicInput): Promise<string> {
  const steps = which === 'all' ? realLocal : realRemote;
  const classification = await steps.classify(contract);
  const policy = await steps.evaluatePolicy({ contract, classification });
  if (policy.route !== 'AGENT') return `REJECTED ${policy.route}`;
  const selection = await steps.selectAgent({
    permitted: policy.permitted,
    ...(policy.standings ? { standings: policy.standings } : {}),
  });
  const agentId = selection.agentId;
  if (!agentId) return 'REJECTED no agent';
  const result = await steps.executeAgent({ contract, agentId });
  const errors = await steps.validateOutput({ schema: contract.outputSchema, output: result.output });
  if (ledger) {
    await steps.recordAgentOutcome({
      agentId,
      outcomeId: `${contract.id}/0`,
      outcome: {
        at: new Date().getTime(),
        ok: errors.length === 0,
        latencyMs: result.latencyMs,
        costUsd: result.usage.costUsd,
      },
    });
  }
  await steps.recordAudit({
    workflowId: contract.id,
    contractId: contract.id,
    title: contract.title,
    status: 'completed',
    outcome: 'SUCCEEDED',
    attempts: [{ agentId, ok: true, latencyMs: result.latencyMs }],
    usage: result.usage,
    trail: [],
  });
  return 'SUCCEEDED';
}

export interface FanOutInput {
  /** Nodes, each `steps` no-op local activities (a contract's worth). */
  nodes: number;
  steps: number;
  /** Nodes in flight at once (a plan's maxParallel). */
  maxParallel: number;
}

/** Runs `nodes` at most `maxParallel` at a time; `node(i)` is one node's work. */
async function fanOut(input: FanOutInput, node: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const lane = async () => {
    while (next < input.nodes) await node(next++);
  };
  await Promise.all(Array.from({ length: Math.min(input.maxParallel, input.nodes) }, lane));
  return input.nodes;
}

/** DAG nodes as child workflows (what plans do): each node its own history, visible on its own. */
export async function fanOutChildren(input: FanOutInput): Promise<number> {
  const { workflowId } = workflowInfo();
  return fanOut(input, (i) =>
    executeChild(bareLocalWorkflow, { workflowId: `${workflowId}/${i}`, args: [input.steps] }),
  );
}

/** The same nodes run inside the parent workflow: one history holds every node's steps. */
export async function fanOutInWorkflow(input: FanOutInput): Promise<number> {
  return fanOut(input, async (i) => {
    for (let s = 0; s < input.steps; s++) await local.noop(`${i}/${s}`);
  });
}

export interface PlainToolCallsInput {
  agentId: string;
  server: string;
  tool: string;
  arguments: Record<string, string>;
  calls: number;
}

/**
 * What a governed tool call is compared with: the same MCP call as the loop's `callTool` step, with
 * the same timeouts, as a plain activity on the workflow's own queue (as the loop's calls are): no
 * policy decision, no trail, no model.
 */
export async function plainToolCalls(input: PlainToolCallsInput): Promise<number> {
  const { callTool } = proxyActivities<Pick<Activities, 'callTool'>>({
    startToCloseTimeout: '65s',
    heartbeatTimeout: '10s',
    retry: { maximumAttempts: 3 },
  });
  const { workflowId } = workflowInfo();
  for (let i = 0; i < input.calls; i++) {
    await callTool({
      agentId: input.agentId,
      server: input.server,
      tool: input.tool,
      arguments: input.arguments,
      idempotencyKey: `${workflowId}/plain/${i}`,
    });
  }
  return input.calls;
}
