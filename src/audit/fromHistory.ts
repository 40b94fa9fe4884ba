// A contract's state read from its event history alone, so audits work with no worker up (a query
// needs one). The history is the record: the final state when the workflow returned it (its result)
// or handed it to `recordAudit` (which also covers cancelled contracts); otherwise a best-effort
// reconstruction from the activities' inputs and results, the review messages and the close event.
import { defaultPayloadConverter, type PayloadCodec } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import type { temporal } from '@temporalio/proto';
import type { AgentSnapshot } from '../shared/trust.js';
import { contractWorkflowId } from '../shared/constants.js';
import type { Contract } from '../shared/contract.js';
import type {
  AuditEvent,
  Classification,
  ContractState,
  ErrorCategory,
  PolicyResult,
  ReviewRecord,
  Selection,
  Standing,
} from '../shared/decision.js';
import { badInput } from '../shared/errors.js';
import type { CancelRequest, ReviewAnswer } from '../shared/messages.js';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Payloads = temporal.api.common.v1.IPayloads | null | undefined;
type Failure = temporal.api.failure.v1.IFailure | null | undefined;

/** Where the state came from: the workflow's own record, or pieced together from the events. */
export type StateSource = 'result' | 'audit-record' | 'reconstructed';

export interface ContractInputRecord {
  contract: Contract;
  planId?: string;
  input?: unknown;
}

type Payload = temporal.api.common.v1.IPayload;

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

function decode(payloads: Payloads): unknown[] {
  return (payloads?.payloads ?? []).map((p) => {
    try {
      return defaultPayloadConverter.fromPayload(p);
    } catch {
      return undefined;
    }
  });
}

const first = (payloads: Payloads): unknown => decode(payloads)[0];
const idOf = (v: unknown): string => String(v);
/** Milliseconds of a protobuf Timestamp or Duration, whose seconds may be a Long or a number. */
function msOf(t: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!t) return 0;
  const s = t.seconds as { toNumber?: () => number } | number | string | null | undefined;
  const seconds = typeof s === 'object' && s?.toNumber ? s.toNumber() : Number(s ?? 0);
  return seconds * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}
const timeOf = (e: HistoryEvent): string => new Date(msOf(e.eventTime)).toISOString();

const looksLikeState = (v: unknown): v is ContractState =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as ContractState).contractId === 'string' &&
  Array.isArray((v as ContractState).trail);

/** The contract workflow's start input (the first event), or BAD_INPUT for another history. */
export function startInputOf(history: History): ContractInputRecord {
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const input = started ? first(started.input) : undefined;
  if (!started || typeof input !== 'object' || input === null || !('contract' in input)) {
    throw badInput('not a contract workflow history: its first event carries no contract');
  }
  return input as ContractInputRecord;
}

/** The workflow type named in the first event. */
export function workflowTypeOf(history: History): string | undefined {
  return history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? undefined;
}

interface Scheduled {
  type: string;
  args: unknown[];
}

/**
 * A completed local activity, from its marker: the type and result only, since a local activity's
 * arguments are not recorded (the contract's governance steps run locally, patch 'local-steps').
 */
export function localActivityOf(e: HistoryEvent): { type: string; result: unknown } | undefined {
  const marker = e.markerRecordedEventAttributes;
  if (marker?.markerName !== 'core_local_activity' || marker.failure) return undefined;
  const data = first(marker.details?.['data']) as { activity_type?: unknown } | undefined;
  if (typeof data?.activity_type !== 'string') return undefined;
  return { type: data.activity_type, result: first(marker.details?.['result']) };
}

/** Completed activities in order, with their decoded arguments (none for local ones) and results. */
export function completedActivities(history: History): { type: string; args: unknown[]; result: unknown }[] {
  const scheduled = new Map<string, Scheduled>();
  const out: { type: string; args: unknown[]; result: unknown }[] = [];
  for (const e of history.events ?? []) {
    const local = localActivityOf(e);
    if (local) out.push({ ...local, args: [] });
    const s = e.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(idOf(e.eventId), { type: s.activityType?.name ?? '', args: decode(s.input) });
    const c = e.activityTaskCompletedEventAttributes;
    const act = c ? scheduled.get(idOf(c.scheduledEventId)) : undefined;
    if (c && act) out.push({ ...act, result: first(c.result) });
  }
  return out;
}

/**
 * The standings (measured trust) the contract's own policy decision used: the first evaluatePolicy
 * that decided the contract itself (not a stage, not the post-review check; a local one carries no
 * arguments, but the workflow's first policy step always decides the contract). Undefined for runs
 * decided before the trust ledger existed.
 */
export function decisionStandingsOf(history: History): Standing[] | undefined {
  for (const a of completedActivities(history)) {
    if (a.type !== 'evaluatePolicy') continue;
    const req = a.args[0] as { reviewed?: boolean; role?: string } | undefined;
    if (req?.reviewed || req?.role) continue;
    return (a.result as PolicyResult | undefined)?.standings;
  }
  return undefined;
}

function categoryOf(failure: Failure): { category: ErrorCategory; message: string } {
  let f = failure;
  // An activity failure wraps its cause; the category is the innermost application type.
  while (f?.cause && !f.applicationFailureInfo && !f.timeoutFailureInfo) f = f.cause;
  if (f?.timeoutFailureInfo) return { category: 'timeout', message: 'the agent did not answer in time' };
  // As the workflow records it: the application failure's type is the category.
  const category = (f?.applicationFailureInfo?.type || 'agent-error') as ErrorCategory;
  // With a failure converter that encodes attributes, the message travels in a payload.
  const encoded = f?.encodedAttributes ? first({ payloads: [f.encodedAttributes] }) : undefined;
  const message =
    typeof encoded === 'object' &&
    encoded !== null &&
    typeof (encoded as { message?: unknown }).message === 'string'
      ? (encoded as { message: string }).message
      : (f?.message ?? failure?.message ?? 'failed');
  return { category, message };
}

const STAGE_SUMMARY = /^execute (.+)\/([^/\s]+) \(([^)]+)\) with agent /;

/**
 * A local governance step as the reconstruction reads it: its arguments as far as the order of steps
 * tells them (a local activity's arguments are not recorded), or undefined to skip it. The first
 * policy step decides the contract; the one right after a HUMAN_REVIEW decision checks who may work
 * once approved. A pipeline's later policy and selection steps are its stages', which cannot be told
 * apart without their arguments: the reconstruction leaves them out (the record itself has them).
 */
function localStepArgs(type: string, state: ContractState, contract: Contract): unknown[] | undefined {
  if (type === 'classify' || type === 'validateOutput') return [];
  if (type === 'evaluatePolicy') {
    if (!state.decision) return [{}];
    if (state.status === 'awaiting-review' && state.review?.permitted.length === 0) {
      return [{ reviewed: true }];
    }
    return undefined;
  }
  if (type === 'selectAgent') return contract.pipeline ? undefined : [];
  return undefined;
}

/**
 * The contract's state from its history: the workflow's result or audit record when there is one,
 * else reconstructed event by event (best effort; see the file comment).
 */
export function contractStateFromHistory(
  history: History,
  workflowId?: string,
): { state: ContractState; source: StateSource } {
  const start = startInputOf(history);
  const events = history.events ?? [];

  for (const e of events) {
    const result = first(e.workflowExecutionCompletedEventAttributes?.result);
    if (looksLikeState(result)) return { state: result, source: 'result' };
  }
  // recordAudit is handed the final state by `finish` (also on cancellation); the last one wins.
  let recorded: ContractState | undefined;
  for (const e of events) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s?.activityType?.name !== 'recordAudit') continue;
    const state = first(s.input);
    if (looksLikeState(state)) recorded = state;
  }
  // As a local activity, recordAudit returns the record it was handed; its marker keeps that copy.
  for (const e of events) {
    const local = localActivityOf(e);
    if (local?.type === 'recordAudit' && looksLikeState(local.result)) recorded = local.result;
  }
  if (recorded) return { state: recorded, source: 'audit-record' };
  return { state: reconstruct(events, start, workflowId), source: 'reconstructed' };
}

function reconstruct(events: HistoryEvent[], start: ContractInputRecord, workflowId?: string): ContractState {
  const { contract, planId } = start;
  const state: ContractState = {
    workflowId: workflowId ?? contractWorkflowId(contract.id, planId),
    contractId: contract.id,
    ...(planId ? { planId } : {}),
    title: contract.title,
    status: 'classifying',
    attempts: [],
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    trail: [],
  };
  const note = (e: HistoryEvent, step: AuditEvent['step'], summary: string, data?: unknown) =>
    state.trail.push({ at: timeOf(e), step, summary, ...(data === undefined ? {} : { data }) });

  const scheduled = new Map<string, Scheduled & { summary?: string }>();
  let pendingOutput: unknown;
  let currentStage: { id: string; role: string } | undefined;
  let round = 1;
  let cancel: CancelRequest | undefined;

  const answerReview = (e: HistoryEvent, a: ReviewAnswer, via: ReviewRecord['via']) => {
    if (!state.review || state.review.answer) return;
    state.review.answer = { ...a, at: timeOf(e), via };
    note(e, 'review', `${a.decision} by ${a.reviewer} via ${via}${a.reason ? `: ${a.reason}` : ''}`);
    state.status = a.decision === 'approve' ? 'deciding' : state.status;
  };

  for (const e of events) {
    if (e.workflowExecutionStartedEventAttributes) {
      note(e, 'submitted', `contract "${contract.title}"`, { dataClass: contract.constraints.dataClass });
      continue;
    }
    const sch = e.activityTaskScheduledEventAttributes;
    if (sch) {
      const summary = e.userMetadata?.summary ? first({ payloads: [e.userMetadata.summary] }) : undefined;
      const act = {
        type: sch.activityType?.name ?? '',
        args: decode(sch.input),
        ...(typeof summary === 'string' ? { summary } : {}),
      };
      scheduled.set(idOf(e.eventId), act);
      if (act.type === 'executeAgent') {
        const agentId = (act.args[0] as { agentId?: string } | undefined)?.agentId;
        if (agentId) state.agentId = agentId;
        state.status = 'executing';
        const m = act.summary ? STAGE_SUMMARY.exec(act.summary) : null;
        if (m && currentStage) currentStage.id = m[2]!;
      }
      continue;
    }
    const done = e.activityTaskCompletedEventAttributes;
    const local = done ? undefined : localActivityOf(e);
    const localArgs = local ? localStepArgs(local.type, state, contract) : undefined;
    if (done || (local && localArgs)) {
      const act = done ? scheduled.get(idOf(done.scheduledEventId)) : { type: local!.type, args: localArgs! };
      if (!act) continue;
      const result = done ? first(done.result) : local!.result;
      switch (act.type) {
        case 'classify': {
          const c = result as Classification;
          state.classification = c;
          state.status = 'deciding';
          note(e, 'classify', `${c.domain} (confidence ${c.confidence}, by ${c.method})`, c);
          break;
        }
        case 'evaluatePolicy': {
          const req = (act.args[0] ?? {}) as { reviewed?: boolean; role?: string };
          const p = result as PolicyResult;
          if (req.role) {
            // The stage's id is named by its execute step; until then, the one stage with this role.
            const sameRole = (contract.pipeline ?? []).filter((st) => st.role === req.role);
            const id = sameRole.length === 1 ? sameRole[0]!.id : req.role;
            currentStage = { id, role: req.role };
            note(
              e,
              'stage',
              `${id} (${req.role}): ${p.route} [${p.policyIds.join(', ') || 'default deny'}]`,
              {
                candidates: p.candidates,
              },
            );
          } else if (req.reviewed) {
            if (state.review) state.review.permitted = p.permitted;
          } else if (!state.decision) {
            state.decision = {
              route: p.route,
              agentId: null,
              fallbacks: [],
              explanation: p.explanation,
              policyIds: p.policyIds,
              policyVersion: p.policyVersion,
            };
            note(
              e,
              'policy',
              `${p.route} under policy ${p.policyVersion} (${p.policyIds.join(', ') || 'default deny'})`,
              { explanation: p.explanation, candidates: p.candidates },
            );
            if (p.route === 'HUMAN_REVIEW') {
              state.status = 'awaiting-review';
              state.review = {
                requestedAt: timeOf(e),
                deadline: timeOf(e),
                why: p.explanation,
                permitted: [],
              };
            }
          }
          break;
        }
        case 'selectAgent': {
          const s = result as Selection;
          if (state.decision && !currentStage) {
            state.decision.agentId = s.agentId;
            state.decision.fallbacks = s.fallbacks;
          }
          if (!currentStage) {
            note(
              e,
              'select',
              `agent ${s.agentId ?? 'none'}${s.fallbacks.length ? `, fallbacks ${s.fallbacks.join(', ')}` : ''}`,
              s.scores,
            );
          }
          break;
        }
        case 'executeAgent': {
          const r = result as {
            output: unknown;
            usage: { inputTokens: number; outputTokens: number; costUsd: number };
            latencyMs: number;
          };
          const agentId = (act.args[0] as { agentId: string }).agentId;
          state.usage.inputTokens += r.usage.inputTokens;
          state.usage.outputTokens += r.usage.outputTokens;
          state.usage.costUsd += r.usage.costUsd;
          state.attempts.push({ agentId, ok: true, latencyMs: r.latencyMs });
          pendingOutput = r.output;
          // A pipeline's work product is its last non-reviewer stage's output, as the workflow keeps it.
          if (currentStage?.role !== 'reviewer') state.output = r.output;
          if (state.decision && !currentStage) state.decision.agentId = agentId;
          const label = act.summary?.replace(/^execute /, '').replace(/ with agent .*$/, '') ?? contract.id;
          note(e, 'execute', `${label}: agent ${agentId} answered in ${r.latencyMs} ms`, r.usage);
          if (currentStage) {
            state.stages ??= [];
            state.stages.push({ ...currentStage, round, agentId, ok: true });
            const verdict = r.output as { approved?: unknown; feedback?: unknown } | null;
            if (currentStage.role === 'reviewer' && verdict && verdict.approved === false) {
              const feedback =
                typeof verdict.feedback === 'string' ? verdict.feedback : 'rejected by the reviewer';
              note(e, 'stage', `${currentStage.id} sent the work back (round ${round}): ${feedback}`);
              round += 1;
            }
          }
          break;
        }
        case 'validateOutput': {
          const errors = (result as string[] | undefined) ?? [];
          const last = state.attempts[state.attempts.length - 1];
          if (errors.length > 0) {
            if (last)
              Object.assign(last, { ok: false, errorCategory: 'invalid-output', error: errors.join('; ') });
            state.validationErrors = errors;
            delete state.output;
            const stage = state.stages?.[state.stages.length - 1];
            if (stage && currentStage) stage.ok = false;
            note(e, 'validate', `output of ${last?.agentId ?? 'the agent'} rejected: ${errors.join('; ')}`);
          } else {
            delete state.validationErrors;
            state.output = pendingOutput;
            note(
              e,
              'validate',
              contract.outputSchema ? 'output matches outputSchema' : 'no outputSchema; output accepted',
            );
          }
          break;
        }
        case 'claimAgentRoute': {
          const agentId = (act.args[0] as { agentId: string }).agentId;
          note(
            e,
            'execute',
            result === false
              ? `agent ${agentId} skipped: its circuit is half-open and another probe runs`
              : `agent ${agentId} probes its half-open circuit`,
          );
          break;
        }
        default:
          break;
      }
      continue;
    }
    const failed = e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes;
    if (failed) {
      const act = scheduled.get(idOf(failed.scheduledEventId));
      if (act?.type === 'executeAgent') {
        const agentId = (act.args[0] as { agentId: string }).agentId;
        const { category, message } = e.activityTaskTimedOutEventAttributes
          ? { category: 'timeout' as const, message: 'the agent did not answer in time' }
          : categoryOf(failed.failure);
        state.attempts.push({ agentId, ok: false, errorCategory: category, error: message });
        if (currentStage) {
          state.stages ??= [];
          state.stages.push({ ...currentStage, round, agentId, ok: false });
        }
        note(e, 'execute', `agent ${agentId} failed (${category}): ${message}`);
      }
      continue;
    }
    const timer = e.timerStartedEventAttributes;
    if (timer && state.status === 'awaiting-review' && state.review && !state.review.answer) {
      state.review.deadline = new Date(msOf(e.eventTime) + msOf(timer.startToFireTimeout)).toISOString();
      const escalated = state.trail.some((t) => t.step === 'review');
      note(
        e,
        'review',
        `${escalated ? 'escalated' : 'waiting for a reviewer'} until ${state.review.deadline}`,
        { why: state.review.why },
      );
      continue;
    }
    const signal = e.workflowExecutionSignaledEventAttributes;
    if (signal) {
      const arg = first(signal.input);
      if (signal.signalName === 'review') answerReview(e, arg as ReviewAnswer, 'signal');
      if (signal.signalName === 'cancel-reason') cancel = arg as CancelRequest;
      continue;
    }
    const update = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
    if (update?.name === 'review') {
      answerReview(e, first(update.args) as ReviewAnswer, 'update');
      continue;
    }
    if (e.workflowExecutionCancelRequestedEventAttributes) {
      note(e, 'cancel', cancel ? `cancelled by ${cancel.by}: ${cancel.reason}` : 'cancelled');
      continue;
    }
    const closed = closeOf(e, cancel);
    if (closed) {
      state.outcome = closed.outcome;
      state.status = closed.outcome === 'CANCELLED' ? 'cancelled' : 'failed';
      state.reason = closed.reason;
      note(e, 'outcome', `${closed.outcome}: ${closed.reason}`);
    }
  }
  return state;
}

function closeOf(
  e: HistoryEvent,
  cancel: CancelRequest | undefined,
): { outcome: 'FAILED' | 'CANCELLED'; reason: string } | undefined {
  if (e.workflowExecutionCanceledEventAttributes) {
    return {
      outcome: 'CANCELLED',
      reason: cancel ? `cancelled by ${cancel.by}: ${cancel.reason}` : 'cancelled',
    };
  }
  if (e.workflowExecutionTerminatedEventAttributes) {
    const why = e.workflowExecutionTerminatedEventAttributes.reason;
    return { outcome: 'FAILED', reason: `terminated${why ? `: ${why}` : ''}` };
  }
  if (e.workflowExecutionFailedEventAttributes) {
    return {
      outcome: 'FAILED',
      reason: `workflow failed: ${e.workflowExecutionFailedEventAttributes.failure?.message ?? 'unknown'}`,
    };
  }
  if (e.workflowExecutionTimedOutEventAttributes) return { outcome: 'FAILED', reason: 'workflow timed out' };
  return undefined;
}

/** Agents' trust as the decision saw it, keyed by id, for re-evaluating policy (`whatif.ts`). */
export function trustFromStandings(
  standings: readonly Pick<AgentSnapshot, 'agentId' | 'trust' | 'probation'>[] | undefined,
): Map<string, { trust: number; probation: boolean }> | undefined {
  if (!standings) return undefined;
  return new Map(standings.map((s) => [s.agentId, { trust: s.trust, probation: s.probation }]));
}
