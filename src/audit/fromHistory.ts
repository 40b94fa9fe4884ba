// A contract's state read from its event history alone, so `status` and `audit` work with no
// worker up (a query needs one): the workflow's result when it completed, else the trail the
// workflow code records when the history is replayed (replay.ts), folded by applyEvent, plus the
// end Temporal recorded when the workflow itself could not (terminated, timed out, refused input).
import { defaultPayloadConverter, type PayloadCodec } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import type { temporal } from '@temporalio/proto';
import { ContractInput } from '../shared/contract.js';
import { ContractState, type TrailEvent } from '../shared/decision.js';
import { badInput } from '../shared/errors.js';
import type { AgentSnapshot } from '../shared/trust.js';
import { stateOf, trailEvent } from '../shared/trail.js';
import { replayTrail, type WorkflowBundle } from './replay.js';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Payload = temporal.api.common.v1.IPayload;
type Payloads = temporal.api.common.v1.IPayloads | null | undefined;

/** Where the state came from: the workflow's own result, or its history replayed. */
export type StateSource = 'result' | 'replay';

const isPayload = (v: unknown): v is Payload =>
  typeof v === 'object' && v !== null && (v as Payload).data instanceof Uint8Array && 'metadata' in v;

/**
 * Runs the client's payload codecs (e.g. ARBITER_CODEC_KEYS encryption) over every payload of a
 * fetched history, in place, so the readers below see plain JSON payloads. No codecs: unchanged.
 */
export async function decodeHistory(history: History, codecs: readonly PayloadCodec[]): Promise<History> {
  if (codecs.length === 0) return history;
  const decodeOne = async (p: Payload): Promise<Payload> => {
    let out = [p];
    for (const codec of [...codecs].reverse()) out = await codec.decode(out);
    return out[0] ?? p;
  };
  const walk = async (node: unknown): Promise<void> => {
    if (typeof node !== 'object' || node === null || node instanceof Uint8Array) return;
    for (const [key, value] of Object.entries(node)) {
      if (isPayload(value)) (node as Record<string, unknown>)[key] = await decodeOne(value);
      else await walk(value);
    }
  };
  await walk(history);
  return history;
}

function first(payloads: Payloads): unknown {
  const p = payloads?.payloads?.[0];
  if (!p) return undefined;
  try {
    return defaultPayloadConverter.fromPayload(p);
  } catch {
    return undefined;
  }
}

/** The contract workflow's start input (the first event), or BAD_INPUT for another history. */
export function startInputOf(history: History): ContractInput {
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const parsed = ContractInput.safeParse(started ? first(started.input) : undefined);
  if (!started || !parsed.success) {
    throw badInput('not a contract workflow history: its first event carries no valid contract');
  }
  return parsed.data;
}

/** The workflow type named in the first event. */
export function workflowTypeOf(history: History): string | undefined {
  return history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? undefined;
}

/** Milliseconds of a protobuf Timestamp, whose seconds may be a Long or a number. */
function msOf(t: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!t) return 0;
  const s = t.seconds as { toNumber?: () => number } | number | string | null | undefined;
  const seconds = typeof s === 'object' && s?.toNumber ? s.toNumber() : Number(s ?? 0);
  return seconds * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

/** How Temporal ended a run the workflow did not end itself, as the trail's last event. */
function closedBy(e: HistoryEvent): TrailEvent | undefined {
  const at = new Date(msOf(e.eventTime)).toISOString();
  const failed = (reason: string) => trailEvent('finished', { outcome: 'FAILED', reason }, at);
  if (e.workflowExecutionTerminatedEventAttributes) {
    const why = e.workflowExecutionTerminatedEventAttributes.reason;
    return failed(`terminated${why ? `: ${why}` : ''}`);
  }
  if (e.workflowExecutionFailedEventAttributes) {
    return failed(
      `workflow failed: ${e.workflowExecutionFailedEventAttributes.failure?.message ?? 'unknown'}`,
    );
  }
  if (e.workflowExecutionTimedOutEventAttributes) return failed('workflow timed out');
  if (e.workflowExecutionCanceledEventAttributes) {
    return trailEvent('finished', { outcome: 'CANCELLED', reason: 'cancelled' }, at);
  }
  return undefined;
}

/**
 * The contract's state from its history: the workflow's result when it completed, else its trail
 * replayed (`bundle` is the workflow code to replay it on).
 */
export async function contractStateFromHistory(
  history: History,
  workflowId: string,
  bundle: WorkflowBundle,
): Promise<{ state: ContractState; source: StateSource }> {
  const events = history.events ?? [];
  const completed = events.at(-1)?.workflowExecutionCompletedEventAttributes;
  if (completed) {
    const result = ContractState.safeParse(first(completed.result));
    if (result.success) return { state: result.data, source: 'result' };
  }
  const trail = await replayTrail(history, workflowId, bundle);
  const closed = events.at(-1) ? closedBy(events.at(-1)!) : undefined;
  if (closed && !trail.some((e) => e.kind === 'finished')) trail.push(closed);
  return { state: stateOf(workflowId, trail), source: 'replay' };
}

/** Agents' trust as the decision saw it, keyed by id, for re-evaluating policy (`whatif.ts`). */
export function trustFromStandings(
  standings: readonly Pick<AgentSnapshot, 'agentId' | 'trust' | 'probation'>[] | undefined,
): Map<string, { trust: number; probation: boolean }> | undefined {
  if (!standings) return undefined;
  return new Map(standings.map((s) => [s.agentId, { trust: s.trust, probation: s.probation }]));
}
