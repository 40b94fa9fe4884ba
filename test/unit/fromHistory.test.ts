// A contract's state from its history alone (no worker to answer a query): the result when it
// completed, else the workflow's own trail replayed from the history — also for a run that is still
// waiting, or that Temporal ended without the workflow's say (terminated).
import { readFileSync } from 'node:fs';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { describe, expect, inject, it } from 'vitest';
import { contractStateFromHistory, decodeHistory, startInputOf } from '../../src/audit/fromHistory.js';

const dir = new URL('../replay/histories/', import.meta.url).pathname;
const bundle = () => ({ codePath: inject('workflowBundlePath') });

interface RawEvent {
  eventId: string;
  eventTime: string;
  eventType: string;
  [attributes: string]: unknown;
}
const raw = (file: string) => JSON.parse(readFileSync(`${dir}${file}`, 'utf8')) as { events: RawEvent[] };

/** The review-approved contract's history up to (not including) the reviewer's answer. */
function waitingForReview(): RawEvent[] {
  const json = raw('contract-review-approved.json');
  const cut = json.events.findIndex((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED');
  return json.events.slice(0, cut);
}

describe('contract state from history', () => {
  it('shows a contract still waiting for review, with who is asked and until when', async () => {
    const events = waitingForReview();
    const { state, source } = await contractStateFromHistory(
      historyFromJSON({ events }),
      'contract/quarterly-forecast',
      bundle(),
    );
    expect(source).toBe('replay');
    expect(state.status).toBe('awaiting-review');
    expect(state.decision?.route).toBe('HUMAN_REVIEW');
    expect(state.review).toMatchObject({
      subject: 'contract',
      group: 'analysts',
      permitted: ['broken', 'analyst'],
    });
    expect(state.review?.answer).toBeUndefined();
    // The policy asked for review within 24h: the deadline is the timer's start plus that (the
    // workflow reads its clock when its task starts, the timer is recorded when the task ends).
    const started = events.find((e) => e.eventType === 'EVENT_TYPE_TIMER_STARTED')!;
    const window = Date.parse(state.review!.deadline) - Date.parse(started.eventTime);
    expect(Math.abs(window - 24 * 3_600_000)).toBeLessThan(5_000);
    expect(state.outcome).toBeUndefined();
  });

  it('ends a terminated run as FAILED with the reason Temporal recorded', async () => {
    const events = waitingForReview();
    const last = events.at(-1)!;
    events.push({
      eventId: String(Number(last.eventId) + 1),
      eventTime: last.eventTime,
      eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED',
      workflowExecutionTerminatedEventAttributes: { reason: 'stuck in staging' },
    });
    const { state } = await contractStateFromHistory(
      historyFromJSON({ events }),
      'contract/quarterly-forecast',
      bundle(),
    );
    expect(state).toMatchObject({
      outcome: 'FAILED',
      status: 'failed',
      reason: 'terminated: stuck in staging',
    });
    expect(state.trail.at(-1)).toMatchObject({ kind: 'finished', step: 'outcome' });
  });

  it('reads the contract a history started with, and refuses another workflow type', () => {
    expect(startInputOf(historyFromJSON(raw('contract-succeeded.json'))).contract.id).toBe(
      'analytics-dashboard',
    );
    expect(() => startInputOf(historyFromJSON(raw('plan-dependency-aware.json')))).toThrow(
      /not a contract workflow history/,
    );
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
    const history = historyFromJSON({ events: waitingForReview() });
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
    expect(() => startInputOf(history)).toThrow(/not a contract workflow history/);
    const { state } = await contractStateFromHistory(
      await decodeHistory(history, [codec]),
      'contract/quarterly-forecast',
      bundle(),
    );
    expect(state.classification?.domain).toBe('finance');
    expect(state.status).toBe('awaiting-review');
  });
});
