import { describe, expect, it } from 'vitest';
import {
  appendOutcome,
  breakerAt,
  breakerNext,
  canRoute,
  claimProbe,
  CLOSED,
  DEFAULT_BREAKER_PARAMS,
  DEFAULT_TRUST_PARAMS,
  freshSnapshot,
  onProbation,
  snapshotOf,
  stats,
  trustOf,
  type BreakerState,
  type Outcome,
} from '../../src/shared/trust.js';

const NOW = Date.UTC(2026, 0, 15);
const DAY = 24 * 3_600_000;
const ok = (at = NOW, extra: Partial<Outcome> = {}): Outcome => ({ at, ok: true, ...extra });
const fail = (at = NOW, extra: Partial<Outcome> = {}): Outcome => ({
  at,
  ok: false,
  category: 'agent-error',
  ...extra,
});
const times = (n: number, make: (i: number) => Outcome) => Array.from({ length: n }, (_, i) => make(i));

describe('trust', () => {
  it('starts from the prior: a fresh agent is barely trusted and on probation', () => {
    expect(trustOf([], NOW)).toBeLessThan(0.05);
    expect(onProbation([], NOW)).toBe(true);
    const fresh = freshSnapshot('a', NOW);
    expect(fresh).toMatchObject({ probation: true, routable: true, recorded: false, outcomes: 0 });
    expect(fresh.breaker.state).toBe('closed');
  });

  it('does not turn one lucky run into trust', () => {
    const t = trustOf([ok()], NOW);
    expect(t).toBeGreaterThan(trustOf([], NOW));
    expect(t).toBeLessThan(0.4);
    expect(onProbation([ok()], NOW)).toBe(true);
  });

  it('rises with many successes and ends probation', () => {
    const ten = trustOf(
      times(10, () => ok()),
      NOW,
    );
    const fifty = trustOf(
      times(50, () => ok()),
      NOW,
    );
    expect(ten).toBeGreaterThan(0.7);
    expect(fifty).toBeGreaterThan(ten);
    expect(fifty).toBeLessThanOrEqual(1);
    expect(
      onProbation(
        times(5, () => ok()),
        NOW,
      ),
    ).toBe(false);
  });

  it('falls with failures, and a reviewer rejection counts as one', () => {
    const good = times(20, () => ok());
    const mixed = [...good, ...times(10, () => fail())];
    expect(trustOf(mixed, NOW)).toBeLessThan(trustOf(good, NOW));
    expect(
      trustOf(
        times(20, () => fail()),
        NOW,
      ),
    ).toBe(0);
    const rejected = [...good.slice(0, 10), ...times(10, () => ok(NOW, { reviewerVerdict: 'rejected' }))];
    expect(trustOf(rejected, NOW)).toBeCloseTo(
      trustOf([...good.slice(0, 10), ...times(10, () => fail())], NOW),
    );
  });

  it('lets old glory fade: the same record weighs less as it ages', () => {
    const record = (at: number) => times(20, () => ok(at));
    const recent = trustOf(record(NOW), NOW);
    const weekOld = trustOf(record(NOW - 7 * DAY), NOW);
    const monthsOld = trustOf(record(NOW - 90 * DAY), NOW);
    expect(weekOld).toBeLessThan(recent);
    expect(monthsOld).toBeLessThan(weekOld);
    expect(monthsOld).toBeCloseTo(trustOf([], NOW), 2);
    // Enough weighted evidence once, not enough now: back on probation.
    expect(
      onProbation(
        times(6, () => ok(NOW - 30 * DAY)),
        NOW,
      ),
    ).toBe(true);
    // Recent failures outweigh old successes.
    const turned = [...times(20, () => ok(NOW - 21 * DAY)), ...times(5, () => fail(NOW))];
    expect(trustOf(turned, NOW)).toBeLessThan(0.5);
  });

  it('keeps the history bounded to the newest outcomes', () => {
    let history: Outcome[] = [];
    for (let i = 0; i < 250; i++)
      history = appendOutcome(history, ok(NOW + i), DEFAULT_TRUST_PARAMS.maxOutcomes);
    expect(history).toHaveLength(200);
    expect(history[0]?.at).toBe(NOW + 50);
    // Out-of-order arrivals are placed by time.
    history = appendOutcome(history, fail(NOW + 100), 200);
    expect(history[0]?.at).toBe(NOW + 51);
    expect(history.findIndex((o) => !o.ok)).toBe(50);
  });
});

describe('stats', () => {
  it('measures success, validated output, latency percentiles, cost and errors', () => {
    const outcomes = [
      ...times(8, (i) => ok(NOW + i, { latencyMs: (i + 1) * 100, costUsd: 0.01 })),
      fail(NOW + 20, { category: 'invalid-output', latencyMs: 900, costUsd: 0.03, error: 'missing field' }),
      fail(NOW + 30, { category: 'timeout', error: 'slow' }),
    ];
    const s = stats(outcomes);
    expect(s.count).toBe(10);
    expect(s.successRate).toBe(0.8);
    expect(s.validatedRate).toBeCloseTo(8 / 9, 4);
    expect(s.latencyP50Ms).toBe(500);
    expect(s.latencyP95Ms).toBe(900);
    expect(s.meanCostUsd).toBeCloseTo(0.11 / 9, 5);
    expect(s.errorsByCategory).toEqual({ 'invalid-output': 1, timeout: 1 });
    expect(s.recentErrors.map((e) => e.category)).toEqual(['timeout', 'invalid-output']);
    expect(s.lastAt).toBe(NOW + 30);
  });

  it('answers null, not zero, without evidence', () => {
    expect(stats([])).toMatchObject({ count: 0, successRate: null, latencyP50Ms: null, meanCostUsd: null });
  });
});

describe('circuit breaker', () => {
  const P = { ...DEFAULT_BREAKER_PARAMS, failureThreshold: 3, windowMs: 60_000, coolDownMs: 30_000 };
  const failAt = (b: BreakerState, ...at: number[]) =>
    at.reduce((s, t) => breakerNext(s, { kind: 'failure' }, t, P), b);

  it('opens after N failures within the window, not when they are spread out', () => {
    const spread = failAt(CLOSED, NOW, NOW + 61_000, NOW + 122_000);
    expect(spread.state).toBe('closed');
    const burst = failAt(CLOSED, NOW, NOW + 1_000, NOW + 2_000);
    expect(burst.state).toBe('open');
    expect(canRoute(burst, NOW + 2_000)).toBe(false);
  });

  it('successes do not open it', () => {
    const b = breakerNext(failAt(CLOSED, NOW, NOW + 1), { kind: 'success' }, NOW + 2, P);
    expect(b.state).toBe('closed');
  });

  it('goes half-open after the cool-down and lets exactly one probe through', () => {
    const open = failAt(CLOSED, NOW, NOW, NOW);
    expect(breakerAt(open, NOW + 29_999).state).toBe('open');
    const later = NOW + 30_000;
    expect(breakerAt(open, later).state).toBe('half-open');
    expect(canRoute(open, later)).toBe(true);
    const first = claimProbe(open, 'p1', later, P);
    expect(first.granted).toBe(true);
    expect(canRoute(first.next, later)).toBe(false);
    expect(claimProbe(first.next, 'p2', later, P).granted).toBe(false);
    // The same claimant asking again (a retried activity) is granted again.
    expect(claimProbe(first.next, 'p1', later, P).granted).toBe(true);
    // A probe that never reports back stops blocking.
    expect(claimProbe(first.next, 'p2', later + P.probeTimeoutMs, P).granted).toBe(true);
  });

  it('closes on a successful probe', () => {
    const probing = claimProbe(failAt(CLOSED, NOW, NOW, NOW), 'p', NOW + 30_000, P).next;
    const closed = breakerNext(probing, { kind: 'success' }, NOW + 31_000, P);
    expect(closed).toEqual(CLOSED);
    expect(canRoute(closed, NOW + 31_000)).toBe(true);
  });

  it('opens again on a failed probe, with a longer cool-down', () => {
    const probing = claimProbe(failAt(CLOSED, NOW, NOW, NOW), 'p', NOW + 30_000, P).next;
    const reopened = breakerNext(probing, { kind: 'failure' }, NOW + 31_000, P);
    expect(reopened).toMatchObject({ state: 'open', reopens: 1, retryAt: NOW + 31_000 + 60_000 });
    expect(canRoute(reopened, NOW + 31_000 + 59_999)).toBe(false);
    expect(canRoute(reopened, NOW + 31_000 + 60_000)).toBe(true);
  });

  it('ignores late results while open', () => {
    const open = failAt(CLOSED, NOW, NOW, NOW);
    expect(breakerNext(open, { kind: 'success' }, NOW + 1, P)).toEqual(open);
    expect(breakerNext(open, { kind: 'failure' }, NOW + 1, P)).toEqual(open);
  });

  it('shows in the snapshot as of the reader clock', () => {
    const open = failAt(CLOSED, NOW, NOW, NOW);
    expect(snapshotOf('a', [], open, NOW + 1).routable).toBe(false);
    const s = snapshotOf('a', [], open, NOW + 30_000);
    expect(s.breaker.state).toBe('half-open');
    expect(s.routable).toBe(true);
  });
});
