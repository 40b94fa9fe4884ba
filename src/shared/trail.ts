// The contract's trail, one definition for both readers: the workflow records each event once and
// folds it into its state with `applyEvent`; a history read with no worker up is replayed, the same
// events come out of the same workflow code (through the `trail` sink), and the same `applyEvent`
// folds them into the same state. Pure and workflow-safe: types only from decision.ts.
import type { Sinks } from '@temporalio/workflow';
import type { ContractState, ContractStatus, Outcome, TrailData, TrailEvent, TrailKind } from './decision.js';

/** Where the workflow hands each trail event as it records it (see audit/replay.ts). */
export interface TrailSinks extends Sinks {
  trail: { record(event: TrailEvent): void };
}

const STEP: { [K in TrailKind]: Extract<TrailEvent, { kind: K }>['step'] } = {
  submitted: 'submitted',
  classified: 'classify',
  decided: 'policy',
  'review-required': 'review',
  'review-opened': 'review',
  'review-answered': 'review',
  'signal-ignored': 'signal',
  escalated: 'review',
  selected: 'select',
  probe: 'execute',
  'agent-answered': 'execute',
  'agent-failed': 'execute',
  'output-checked': 'validate',
  'not-measured': 'execute',
  'stage-decided': 'stage',
  'stage-finished': 'stage',
  'sent-back': 'stage',
  'remote-task': 'execute',
  notified: 'notify',
  'notify-failed': 'notify',
  'tools-discovered': 'tool',
  'model-turn': 'tool',
  'tool-decided': 'tool',
  'tool-called': 'tool',
  'tool-malformed': 'tool',
  'cancel-requested': 'cancel',
  finished: 'outcome',
};

const policyIds = (ids: readonly string[]) => ids.join(', ') || 'default deny';
const agents = (d: { agentId: string | null; fallbacks: readonly string[] }) =>
  `agent ${d.agentId ?? 'none'}${d.fallbacks.length ? `, fallbacks ${d.fallbacks.join(', ')}` : ''}`;

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
const usd = (x: number) => `$${x.toFixed(4)}`;
const ROUTE_WORDS = { ALLOW: 'allowed by', HUMAN_REVIEW: 'needs a person per', DENY: 'denied by' } as const;

/** The one-line summary of each kind of event, as `arbiter audit` and the Web UI show it. */
const SUMMARY: { [K in TrailKind]: (d: TrailData<K>) => string } = {
  submitted: (d) => `contract "${d.title}"`,
  classified: (d) => `${d.domain} (confidence ${d.confidence}, by ${d.method})`,
  decided: (d) => `${d.route} under policy ${d.policyVersion} (${policyIds(d.policyIds)})`,
  'review-required': (d) => `review required by the plan: ${d.why.join('; ')}`,
  'review-opened': (d) => `${d.level === 0 ? 'waiting for' : 'escalated to'} ${d.group} until ${d.deadline}`,
  'review-answered': (d) =>
    d.via === 'timeout'
      ? 'review timed out at the end of the escalation chain; the safe default applies (reject)'
      : `${d.decision} by ${d.reviewer} via ${d.via}${d.reason ? `: ${d.reason}` : ''}`,
  'signal-ignored': (d) => `ignored a ${d.signal} signal: ${d.problem}`,
  escalated: (d) => `${d.reason}: escalating to a person`,
  selected: (d) =>
    `${d.stage ? `stage ${d.stage}: ` : ''}${agents(d)}${d.retry ? ' (retry approved by a person)' : ''}`,
  probe: (d) =>
    d.granted
      ? `${d.label}: agent ${d.agentId} probes its half-open circuit`
      : `${d.label}: agent ${d.agentId} skipped: its circuit is half-open and another probe runs`,
  'agent-answered': (d) =>
    `${d.label}: agent ${d.agentId} answered in ${d.latencyMs} ms${d.loop ? ` after ${plural(d.loop.turns, 'turn')} and ${plural(d.loop.toolCalls, 'tool call')}` : ''}`,
  'agent-failed': (d) => `${d.label}: agent ${d.agentId} failed (${d.category}): ${d.message}`,
  'output-checked': (d) =>
    d.errors.length > 0
      ? `output of ${d.agentId} rejected: ${d.errors.join('; ')}`
      : d.hasSchema
        ? 'output matches outputSchema'
        : 'no outputSchema; output accepted',
  'not-measured': (d) =>
    `could not record ${d.verdict ? "the reviewer's verdict" : 'the outcome'} for ${d.agentId}: ${d.message}`,
  'stage-decided': (d) =>
    `${d.stage} (${d.role}): ${d.policy.route}${d.afterReview ? ' after review' : ''} [${policyIds(d.policy.policyIds)}]`,
  'stage-finished': (d) =>
    `${d.id} (${d.role}) round ${d.round}: ${d.ok ? `delivered by ${d.agentId}` : 'no agent delivered'}`,
  'sent-back': (d) => `${d.stage} sent the work back (round ${d.round}): ${d.feedback}`,
  'remote-task': (d) =>
    `${d.label}: agent ${d.agentId}, ${d.protocol.toUpperCase()} task ${d.taskId}: ${d.states.map((s) => s.state).join(' -> ') || 'no state seen'}`,
  notified: (d) =>
    d.status === 'already-sent'
      ? `${d.event}: ${d.channel} had already been told (${d.kind} ${d.target})`
      : `${d.event}: told ${d.channel} (${d.kind} ${d.target})${d.attempt > 1 ? ` on attempt ${d.attempt}` : ''}`,
  'notify-failed': (d) =>
    d.pending
      ? `${d.event}: ${d.channel} not told yet when the contract ended (${d.error})`
      : `${d.event}: could not tell ${d.channel}: ${d.error}`,
  'tools-discovered': (d) =>
    `${d.label}: agent ${d.agentId} may use ${plural(d.tools.length, 'tool')} (${d.servers.map((s) => `${s.id} over ${s.transport}`).join(', ')}); at most ${plural(d.bounds.maxTurns, 'turn')} and ${plural(d.bounds.maxToolCalls, 'tool call')}`,
  'model-turn': (d) =>
    `${d.label}: agent ${d.agentId} turn ${d.turn}: ${d.answered ? 'answered' : d.toolCalls > 0 ? `asked for ${plural(d.toolCalls, 'tool call')}` : `no usable answer (${d.answerError ?? 'empty'})`} (${d.usage.inputTokens + d.usage.outputTokens} tokens, ${usd(d.usage.costUsd)})`,
  'tool-decided': (d) =>
    `tool ${d.tool}: ${ROUTE_WORDS[d.route]} ${policyIds(d.policyIds)}${d.reviewed ? ' after a person approved' : ''}`,
  'tool-called': (d) =>
    d.failed
      ? `tool ${d.tool}: the call failed: ${d.failed}`
      : `tool ${d.tool}: ${d.isError ? 'reported an error, ' : ''}${d.bytes} bytes${d.truncated ? ' (cut)' : ''} in ${d.durationMs} ms${d.costUsd > 0 ? `, ${usd(d.costUsd)}` : ''}`,
  'tool-malformed': (d) => `${d.label}: turn ${d.turn}: malformed call "${d.functionName}": ${d.error}`,
  'cancel-requested': (d) => (d.by ? `cancelled by ${d.by}: ${d.reason ?? ''}` : 'cancelled'),
  finished: (d) => (d.reason ? `${d.outcome}: ${d.reason}` : d.outcome),
};

/** A trail event of `kind` at `at`, with its step and summary. */
export function trailEvent<K extends TrailKind>(kind: K, data: TrailData<K>, at: string): TrailEvent {
  return { kind, step: STEP[kind], at, summary: SUMMARY[kind](data), data } as TrailEvent;
}

/** The state before any event: what a query sees before the first step has run. */
export function emptyState(workflowId: string): ContractState {
  return {
    workflowId,
    contractId: '',
    title: '',
    status: 'classifying',
    attempts: [],
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    trail: [],
  };
}

export const STATUS_OF: Record<Outcome, ContractStatus> = {
  SUCCEEDED: 'completed',
  FAILED: 'failed',
  REJECTED: 'rejected',
  CANCELLED: 'cancelled',
};

function addUsage(state: ContractState, u: { inputTokens: number; outputTokens: number; costUsd: number }) {
  state.usage.inputTokens += u.inputTokens;
  state.usage.outputTokens += u.outputTokens;
  state.usage.costUsd += u.costUsd;
}

type EventOf<K extends TrailEvent['kind']> = Extract<TrailEvent, { kind: K }>;

/** Folds one event into the state (in place) and appends it to the trail. */
export function applyEvent(state: ContractState, e: TrailEvent): ContractState {
  state.trail.push(e);
  switch (e.kind) {
    case 'submitted':
      state.workflowId = e.data.workflowId;
      state.contractId = e.data.contractId;
      state.title = e.data.title;
      if (e.data.planId) state.planId = e.data.planId;
      break;
    case 'classified':
      state.classification = e.data;
      state.status = 'deciding';
      if (e.data.usage) addUsage(state, e.data.usage);
      break;
    case 'decided': {
      const { route, explanation, policyIds: ids, policyVersion } = e.data;
      state.decision = { route, agentId: null, fallbacks: [], explanation, policyIds: ids, policyVersion };
      break;
    }
    case 'review-required':
    case 'review-opened':
    case 'review-answered':
      applyReview(state, e);
      break;
    case 'model-turn':
      addUsage(state, e.data.usage);
      break;
    case 'tool-called':
      addUsage(state, { inputTokens: 0, outputTokens: 0, costUsd: e.data.costUsd });
      break;
    case 'selected':
    case 'stage-decided':
    case 'agent-answered':
    case 'agent-failed':
    case 'output-checked':
    case 'stage-finished':
      applyWork(state, e);
      break;
    case 'finished':
      state.outcome = e.data.outcome;
      state.status = STATUS_OF[e.data.outcome];
      if (e.data.reason) state.reason = e.data.reason;
      if (e.data.agentId !== undefined && state.decision) state.decision.agentId = e.data.agentId;
      break;
    default:
      // The rest only add to the trail (signal-ignored, escalated, probe, not-measured, sent-back,
      // remote-task, notified, notify-failed, cancel-requested, tools-discovered, tool-decided,
      // tool-malformed).
      break;
  }
  return state;
}

/** A person in the loop: required on top of policy, asked, answered. */
function applyReview(
  state: ContractState,
  e: EventOf<'review-required' | 'review-opened' | 'review-answered'>,
): void {
  switch (e.kind) {
    case 'review-required':
      if (state.decision) {
        state.decision.route = 'HUMAN_REVIEW';
        state.decision.explanation = [
          ...state.decision.explanation,
          ...e.data.why.map((r) => `review required: ${r}`),
        ];
      }
      break;
    case 'review-opened': {
      const { level: _level, ...opened } = e.data;
      state.review =
        e.data.level === 0 || !state.review
          ? { ...opened, requestedAt: e.at }
          : { ...state.review, ...opened };
      state.status = 'awaiting-review';
      break;
    }
    case 'review-answered':
      if (state.review) state.review.answer = e.data;
      // Approved: back to deciding who does the contract, or on to running the stage or retry.
      if (e.data.decision === 'approve') {
        state.status = state.review?.subject === 'contract' ? 'deciding' : 'executing';
      } else if (state.review?.subject === 'tool-call') {
        // A refused tool call: the model is told, and the loop goes on.
        state.status = 'executing';
      }
      break;
  }
}

/** The work itself: who was selected, what each attempt did, what its output was worth. */
function applyWork(
  state: ContractState,
  e: EventOf<
    'selected' | 'stage-decided' | 'agent-answered' | 'agent-failed' | 'output-checked' | 'stage-finished'
  >,
): void {
  switch (e.kind) {
    case 'selected':
      if (!e.data.stage && state.decision) {
        state.decision.agentId = e.data.agentId;
        state.decision.fallbacks = e.data.fallbacks;
      }
      if (e.data.agentId) {
        state.agentId = e.data.agentId;
        state.status = 'executing';
      }
      break;
    case 'stage-decided':
      state.status = 'executing';
      break;
    case 'agent-answered':
      state.agentId = e.data.agentId;
      // A tool loop's usage is already in, turn by turn.
      if (!e.data.loop) addUsage(state, e.data.usage);
      state.attempts.push({ agentId: e.data.agentId, ok: true, latencyMs: e.data.latencyMs });
      break;
    case 'agent-failed':
      state.agentId = e.data.agentId;
      state.attempts.push({
        agentId: e.data.agentId,
        ok: false,
        errorCategory: e.data.category,
        error: e.data.message,
      });
      break;
    case 'output-checked': {
      if (e.data.errors.length === 0) {
        delete state.validationErrors;
        break;
      }
      const error = e.data.errors.join('; ');
      const last = state.attempts[state.attempts.length - 1];
      if (last) Object.assign(last, { ok: false, errorCategory: 'invalid-output', error });
      state.validationErrors = e.data.errors;
      break;
    }
    case 'stage-finished':
      (state.stages ??= []).push(e.data);
      break;
  }
}

/** The state a list of recorded events describes (the history reader's fold). */
export function stateOf(workflowId: string, events: readonly TrailEvent[]): ContractState {
  const state = emptyState(workflowId);
  for (const e of events) applyEvent(state, e);
  return state;
}
