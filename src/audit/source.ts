// Where audit, metrics and what-if read from: Temporal's own visibility list and each contract's
// history. No second database: a closed contract's final state is its workflow result, or (for a
// cancelled, terminated or failed run) what its history records.
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import { equals, WORKFLOW_TYPES } from '../shared/constants.js';
import { ContractState } from '../shared/decision.js';
import { parseDuration } from '../shared/duration.js';
import { badInput } from '../shared/errors.js';
import { contractStateFromHistory, decodeHistory, type StateSource } from './fromHistory.js';
import type { WorkflowBundle } from './replay.js';

/** The workflow code a history is replayed on, built or found only when a replay is needed. */
export type BundleSource = () => Promise<WorkflowBundle>;

export interface ClosedContract {
  workflowId: string;
  runId: string;
  /** Temporal's execution status: COMPLETED, CANCELLED, TERMINATED, FAILED, TIMED_OUT… */
  executionStatus: string;
  startTime: string;
  closeTime: string;
  state: ContractState;
  source: StateSource;
}

/**
 * `--since`: an ISO time, or a duration (`24h`, `30m`, `P1D`) meaning "now minus that".
 * Returns the ISO instant; bad text is BAD_INPUT naming the flag.
 */
export function parseSince(text: string, now: number = Date.now()): string {
  const ms = parseDuration(text.trim());
  if (ms !== undefined) return new Date(now - ms).toISOString();
  // Only full dates or date-times: Date.parse accepts too much (e.g. "1") otherwise.
  if (/^\d{4}-\d{2}-\d{2}/.test(text.trim())) {
    const at = Date.parse(text.trim());
    if (!Number.isNaN(at)) return new Date(at).toISOString();
  }
  throw badInput(
    `--since: "${text}" is neither an ISO time (2026-01-31T00:00:00Z) nor a duration (24h, 30m, 7d)`,
  );
}

/** The visibility query for closed contract workflows of one task queue. */
export function closedContractsQuery(taskQueue: string, sinceIso?: string): string {
  const q = [
    equals('WorkflowType', WORKFLOW_TYPES.contract),
    equals('TaskQueue', taskQueue),
    `ExecutionStatus != "Running"`,
  ];
  if (sinceIso) q.push(`CloseTime >= "${sinceIso}"`);
  return q.join(' AND ');
}

/** A completed contract's result, parsed: a history is data like any other payload. */
async function resultOf(handle: WorkflowHandle): Promise<{ state: ContractState; source: StateSource }> {
  return { state: ContractState.parse(await handle.result()), source: 'result' };
}

/** A closed contract's final state: its result when it completed, else read from its history. */
export async function finalState(
  handle: WorkflowHandle,
  executionStatus: string,
  bundle: BundleSource,
): Promise<{ state: ContractState; source: StateSource }> {
  if (executionStatus === 'COMPLETED') return resultOf(handle);
  return contractStateFromHistory(await fetchDecodedHistory(handle), handle.workflowId, await bundle());
}

/**
 * A contract's state from its history alone: what `status`/`audit` can show when no worker is up to
 * answer a query (cancelled, terminated or failed runs, or a running one whose workers are down).
 */
export async function contractStateWithoutWorker(
  handle: WorkflowHandle,
  bundle: BundleSource,
): Promise<ContractState> {
  return (
    await contractStateFromHistory(await fetchDecodedHistory(handle), handle.workflowId, await bundle())
  ).state;
}

/** A workflow's history with its payloads decoded by the handle's client codecs. */
export async function fetchDecodedHistory(handle: WorkflowHandle): Promise<History> {
  return decodeHistory(await handle.fetchHistory(), handle.client.options.loadedDataConverter.payloadCodecs);
}

export interface ListOptions {
  since?: string;
  /** Only the most recently closed N. */
  last?: number;
  /** Also fetch each history (what-if needs the start input and the standings). */
  withHistory?: boolean;
}

/**
 * Closed contracts of a task queue, ordered by close time then workflow id (deterministic, so the
 * same period exports the same lines).
 */
export async function listClosedContracts(
  client: Client,
  taskQueue: string,
  bundle: BundleSource,
  opts: ListOptions = {},
): Promise<(ClosedContract & { history?: History })[]> {
  const infos: { workflowId: string; runId: string; status: string; start: Date; close: Date }[] = [];
  for await (const wf of client.workflow.list({ query: closedContractsQuery(taskQueue, opts.since) })) {
    if (!wf.closeTime) continue;
    infos.push({
      workflowId: wf.workflowId,
      runId: wf.runId,
      status: wf.status.name,
      start: wf.startTime,
      close: wf.closeTime,
    });
  }
  infos.sort(
    (a, b) =>
      a.close.getTime() - b.close.getTime() ||
      (a.workflowId < b.workflowId ? -1 : a.workflowId > b.workflowId ? 1 : 0) ||
      (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0),
  );
  const chosen = opts.last !== undefined ? infos.slice(Math.max(0, infos.length - opts.last)) : infos;
  const out: (ClosedContract & { history?: History })[] = [];
  // Sequential on purpose: a large period must not open hundreds of calls at once.
  for (const info of chosen) {
    const handle = client.workflow.getHandle(info.workflowId, info.runId);
    const history = opts.withHistory ? await fetchDecodedHistory(handle) : undefined;
    const { state, source } = history
      ? info.status === 'COMPLETED'
        ? await resultOf(handle)
        : await contractStateFromHistory(history, info.workflowId, await bundle())
      : await finalState(handle, info.status, bundle);
    out.push({
      workflowId: info.workflowId,
      runId: info.runId,
      executionStatus: info.status,
      startTime: info.start.toISOString(),
      closeTime: info.close.toISOString(),
      state,
      source,
      ...(history ? { history } : {}),
    });
  }
  return out;
}
