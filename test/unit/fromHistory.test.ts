// A contract's audit from its history alone (no worker to answer a query): the recorded result
// when there is one, else a reconstruction that tells the same story as the workflow's own state.
import { readFileSync } from 'node:fs';
import { defaultPayloadConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { describe, expect, it } from 'vitest';
import {
  contractStateFromHistory,
  decisionStandingsOf,
  decodeHistory,
  startInputOf,
} from '../../src/audit/fromHistory.js';
import type { ContractState } from '../../src/shared/decision.js';

const dir = new URL('../replay/histories/', import.meta.url).pathname;
const CONTRACTS = [
  'contract-fallback.json',
  'contract-measured.json',
  'contract-pipeline.json',
  'contract-rejected.json',
  'contract-review-approved.json',
];

interface RawEvent {
  eventId: string;
  eventTime: string;
  eventType: string;
  [attributes: string]: unknown;
}
const raw = (file: string) => JSON.parse(readFileSync(`${dir}${file}`, 'utf8')) as { events: RawEvent[] };
const activityName = (e: RawEvent) =>
  (e.activityTaskScheduledEventAttributes as { activityType?: { name?: string } } | undefined)?.activityType
    ?.name;

/** The events before the workflow handed its final state to recordAudit: what a crash there leaves. */
function withoutFinalRecord(file: string) {
  const json = raw(file);
  const cut = json.events.findIndex((e) => activityName(e) === 'recordAudit');
  return historyFromJSON({ events: json.events.slice(0, cut) });
}

function finalResult(file: string): ContractState {
  const h = historyFromJSON(raw(file));
  const attrs = h.events!.at(-1)!.workflowExecutionCompletedEventAttributes!;
  return defaultPayloadConverter.fromPayload(attrs.result!.payloads![0]!);
}

const jsonPayload = (value: unknown) => ({
  metadata: { encoding: Buffer.from('json/plain').toString('base64') },
  data: Buffer.from(JSON.stringify(value)).toString('base64'),
});

describe('contract state from history', () => {
  it.each(CONTRACTS)('%s: a closed run reads back exactly as the workflow returned it', (file) => {
    const { state, source } = contractStateFromHistory(historyFromJSON(raw(file)));
    expect(source).toBe('result');
    expect(state).toEqual(finalResult(file));
  });

  it.each(CONTRACTS)('%s: without the final record, the reconstruction tells the same story', (file) => {
    const expected = finalResult(file);
    const { state, source } = contractStateFromHistory(withoutFinalRecord(file));
    expect(source).toBe('reconstructed');
    expect(state.workflowId).toBe(expected.workflowId);
    expect(state.classification).toEqual(expected.classification);
    const { agentId: _a, ...decision } = expected.decision!;
    expect(state.decision).toMatchObject(decision);
    if (expected.decision!.route !== 'REJECT' && !expected.stages) {
      expect(state.decision!.agentId).toBe(expected.decision!.agentId);
    }
    expect(
      state.attempts.map(({ agentId, ok, errorCategory, error }) => ({ agentId, ok, errorCategory, error })),
    ).toEqual(
      expected.attempts.map(({ agentId, ok, errorCategory, error }) => ({
        agentId,
        ok,
        errorCategory,
        error,
      })),
    );
    expect(state.usage).toEqual(expected.usage);
    expect(state.output).toEqual(expected.output);
    expect(state.stages).toEqual(expected.stages);
    expect(state.trail.map((t) => t.step)).toEqual(
      expected.trail.map((t) => t.step).filter((s) => s !== 'outcome'),
    );
    // Times are the events' times: ISO, in order.
    const times = state.trail.map((t) => Date.parse(t.at));
    expect(times.every((t, i) => Number.isFinite(t) && (i === 0 || t >= times[i - 1]!))).toBe(true);
    if (expected.review) {
      expect(state.review).toMatchObject({
        why: expected.review.why,
        permitted: expected.review.permitted,
        answer: { decision: 'approve', reviewer: 'recorder', via: 'update' },
      });
      // Timer start + the policy's window: the workflow's own deadline, to within the task's duration.
      expect(
        Math.abs(Date.parse(state.review!.deadline) - Date.parse(expected.review.deadline)),
      ).toBeLessThan(1_000);
    }
  });

  it('shows a contract still waiting for review, with its deadline, from a history cut there', () => {
    const json = raw('contract-review-approved.json');
    const cut = json.events.findIndex((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED');
    const { state } = contractStateFromHistory(historyFromJSON({ events: json.events.slice(0, cut) }));
    expect(state.status).toBe('awaiting-review');
    expect(state.decision?.route).toBe('HUMAN_REVIEW');
    expect(state.review?.answer).toBeUndefined();
    // The policy asked for review within 24h: the deadline is the timer's start plus that.
    const started = json.events.find((e) => e.eventType === 'EVENT_TYPE_TIMER_STARTED')!;
    expect(Date.parse(state.review!.deadline) - Date.parse(started.eventTime)).toBe(24 * 3_600_000);
    expect(state.attempts).toEqual([]);
    expect(state.outcome).toBeUndefined();
  });

  it('records who cancelled a waiting contract, and why, from the cancel events alone', () => {
    const json = raw('contract-review-approved.json');
    const cut = json.events.findIndex((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED');
    const at = json.events[cut - 1]!.eventTime;
    const events = json.events.slice(0, cut);
    const next = (n: number) => String(cut + n);
    events.push(
      {
        eventId: next(0),
        eventTime: at,
        eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED',
        workflowExecutionSignaledEventAttributes: {
          signalName: 'cancel-reason',
          input: { payloads: [jsonPayload({ reason: 'duplicate request', by: 'ops-lead' })] },
        },
      },
      {
        eventId: next(1),
        eventTime: at,
        eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED',
        workflowExecutionCancelRequestedEventAttributes: {},
      },
      {
        eventId: next(2),
        eventTime: at,
        eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED',
        workflowExecutionCanceledEventAttributes: {},
      },
    );
    const { state } = contractStateFromHistory(historyFromJSON({ events }));
    expect(state.outcome).toBe('CANCELLED');
    expect(state.status).toBe('cancelled');
    expect(state.reason).toBe('cancelled by ops-lead: duplicate request');
    expect(state.trail.map((t) => t.step).slice(-2)).toEqual(['cancel', 'outcome']);
  });

  it('reads the contract and the standings its decision used', () => {
    const h = historyFromJSON(raw('contract-measured.json'));
    expect(startInputOf(h).contract.id).toBe('measured');
    const standings = decisionStandingsOf(h);
    expect(standings?.map((s) => s.agentId)).toEqual(['broken', 'analyst']);
    expect(standings?.[0]).toMatchObject({ probation: true, circuit: 'closed' });
    // Runs decided before the trust ledger recorded no standings.
    expect(decisionStandingsOf(historyFromJSON(raw('contract-fallback.json')))).toBeUndefined();
  });

  it('decodes payloads with the client codecs first (encrypted histories)', async () => {
    // A toy codec: the JSON payload is wrapped, as an encrypting codec would.
    const codec: PayloadCodec = {
      encode: (ps: Payload[]) =>
        Promise.resolve(
          ps.map((p) => ({
            metadata: { encoding: Buffer.from('binary/wrapped') },
            data: Buffer.from(
              JSON.stringify({
                m: Buffer.from(p.metadata!.encoding!).toString(),
                d: Buffer.from(p.data!).toString('base64'),
              }),
            ),
          })),
        ),
      decode: (ps: Payload[]) =>
        Promise.resolve(
          ps.map((p) => {
            if (Buffer.from(p.metadata?.encoding ?? []).toString() !== 'binary/wrapped') return p;
            const w = JSON.parse(Buffer.from(p.data!).toString()) as { m: string; d: string };
            return { metadata: { encoding: Buffer.from(w.m) }, data: Buffer.from(w.d, 'base64') };
          }),
        ),
    };
    const history = withoutFinalRecord('contract-fallback.json');
    // Encode every payload in place, as the server would store them.
    const encodeAll = async (node: unknown): Promise<void> => {
      if (typeof node !== 'object' || node === null || node instanceof Uint8Array) return;
      for (const [k, v] of Object.entries(node)) {
        const p = v as Payload | null;
        if (p && typeof p === 'object' && p.data instanceof Uint8Array && 'metadata' in p) {
          (node as Record<string, unknown>)[k] = (await codec.encode([p]))[0];
        } else await encodeAll(v);
      }
    };
    await encodeAll(history);
    expect(() => contractStateFromHistory(history)).toThrow(/not a contract workflow history/);
    const { state } = contractStateFromHistory(await decodeHistory(history, [codec]));
    expect(state.classification?.domain).toBe('data');
    expect(state.attempts.map((a) => a.ok)).toEqual([false, true]);
  });
});
