// Reading and writing the agents' trust ledgers (src/workflows/agentLedger.ts) from outside a
// workflow: record an attempt's outcome, read an agent's snapshot or the standing decisions use,
// claim a probe through a half-open circuit. Used by the ledger activities (with the worker's own
// client) and by the client library (`Arbiter.agentSnapshot`), never by workflow code.
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import {
  breakerAt,
  canRoute,
  DEFAULT_TRUST_PARAMS,
  freshSnapshot,
  type AgentSnapshot,
} from '../shared/trust.js';
import {
  claimProbeUpdate,
  ledgerWorkflowId,
  recordOutcomeSignal,
  SNAPSHOT_MEMO,
  snapshotQuery,
  type RecordOutcome,
} from '../shared/ledgerMessages.js';
import { WORKFLOW_TYPES } from '../shared/constants.js';
import type { LedgerOptions } from '../shared/ledgerMessages.js';
import type { agentLedgerWorkflow } from '../workflows/agentLedger.js';

/** Records one outcome, starting the agent's ledger if it does not run yet (signal-with-start). */
export async function recordOutcome(
  client: Client,
  taskQueue: string,
  req: RecordOutcome,
  options?: LedgerOptions,
): Promise<void> {
  await client.workflow.signalWithStart<typeof agentLedgerWorkflow, [RecordOutcome]>(
    WORKFLOW_TYPES.agentLedger,
    {
      workflowId: ledgerWorkflowId(req.agentId, taskQueue),
      taskQueue,
      args: [{ agentId: req.agentId, ...(options ? { options } : {}) }],
      signal: recordOutcomeSignal,
      signalArgs: [req],
      staticSummary: `trust ledger of agent ${req.agentId}`,
      // Born with a published snapshot (the prior alone), so readers never need to query a new
      // ledger before its first task has run; the ledger republishes once it applied the outcome.
      memo: {
        [SNAPSHOT_MEMO]: freshSnapshot(req.agentId, Date.now(), {
          ...DEFAULT_TRUST_PARAMS,
          ...options?.trust,
        }),
      },
    },
  );
}

/**
 * A query waits for a worker; after a worker dies, its cached ledgers answer once the sticky queue
 * times out (10 s by default), so the deadline sits above that rather than failing at once.
 */
export const SNAPSHOT_DEADLINE_MS = 15_000;

/**
 * Reads an agent's ledger with `read` within `timeoutMs`; an agent without a ledger is fresh
 * (probation, closed circuit). Throws when no answer comes before the deadline.
 */
async function fromLedger(
  client: Client,
  taskQueue: string,
  agentId: string,
  now: number,
  timeoutMs: number,
  read: (ledger: WorkflowHandle) => Promise<AgentSnapshot>,
): Promise<AgentSnapshot> {
  const ledger = client.workflow.getHandle(ledgerWorkflowId(agentId, taskQueue));
  try {
    return await client.workflow.withDeadline(Date.now() + timeoutMs, () => read(ledger));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return freshSnapshot(agentId, now);
    throw err;
  }
}

/** An agent's snapshot as of `now`, as its ledger computes it (a query: it needs a worker). */
export async function readSnapshot(
  client: Client,
  taskQueue: string,
  agentId: string,
  now: number,
  timeoutMs = SNAPSHOT_DEADLINE_MS,
): Promise<AgentSnapshot> {
  return fromLedger(client, taskQueue, agentId, now, timeoutMs, (ledger) =>
    ledger.query(snapshotQuery, { now }),
  );
}

/**
 * The snapshot a decision uses: the one the ledger published in its memo, read with a describe
 * that the server answers alone. A query needs the ledger's worker to run a workflow task; when
 * decisions run as local activities, that worker's workflow slots may all be held by the very
 * contracts waiting for the answer. It may trail the latest outcome by the ledger's next task,
 * which decisions tolerate (they already reuse a reading for seconds). A ledger that has not
 * published yet is queried.
 */
export async function readStanding(
  client: Client,
  taskQueue: string,
  agentId: string,
  now: number,
  timeoutMs = SNAPSHOT_DEADLINE_MS,
): Promise<AgentSnapshot> {
  return fromLedger(client, taskQueue, agentId, now, timeoutMs, async (ledger) => {
    const published = (await ledger.describe()).memo?.[SNAPSHOT_MEMO] as AgentSnapshot | undefined;
    return published ? asOf(published, now) : ledger.query(snapshotQuery, { now });
  });
}

/**
 * A published snapshot as of the reader's clock: an open circuit whose cool-down has passed is
 * half-open. Trust is as of the ledger's last change or hourly refresh; it moves over days.
 */
function asOf(s: AgentSnapshot, now: number): AgentSnapshot {
  const breaker = breakerAt(s.breaker, now);
  return { ...s, breaker, routable: canRoute(breaker, now) };
}

/**
 * Asks the agent's ledger for admission: true when the circuit is closed, or when it is half-open
 * and this caller is the one probe (the same `claimId` again is granted again). No ledger = closed.
 */
export async function claimRoute(
  client: Client,
  taskQueue: string,
  agentId: string,
  claimId: string,
): Promise<boolean> {
  try {
    return await client.workflow
      .getHandle(ledgerWorkflowId(agentId, taskQueue))
      .executeUpdate(claimProbeUpdate, {
        args: [{ claimId }],
      });
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return true;
    throw err;
  }
}
