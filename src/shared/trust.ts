// Trust earned from measured outcomes, and a circuit breaker per agent (SPEC §5 "Trust from
// evidence"). Pure functions only: no Temporal, no I/O, no clock — every function that depends on
// time takes `now` (ms since the epoch) — so the ledger workflow, activities and the CLI all share
// this one definition and the workflow stays replay-safe.
import type { ErrorCategory } from './failures.js';
import type { BreakerParams, BreakerState, OutcomeRecord, TrustParams } from './ledgerMessages.js';

export type { BreakerParams, BreakerState, TrustParams };

/** One measured attempt of an agent, as the ledger keeps it (schema: ledgerMessages.ts). */
export type Outcome = OutcomeRecord;

export const DEFAULT_TRUST_PARAMS: TrustParams = {
  priorSuccesses: 1,
  priorFailures: 1,
  halfLifeMs: 7 * 24 * 3_600_000,
  z: 1.645,
  probationOutcomes: 5,
  maxOutcomes: 200,
};

export const DEFAULT_BREAKER_PARAMS: BreakerParams = {
  failureThreshold: 5,
  windowMs: 10 * 60_000,
  coolDownMs: 60_000,
  maxCoolDownFactor: 16,
  probeTimeoutMs: 5 * 60_000,
};

/** The success that trust counts: valid output that no reviewer rejected. */
export const succeeded = (o: Outcome): boolean => o.ok && o.reviewerVerdict !== 'rejected';

/** Exponential recency weight in (0, 1]; an outcome from the "future" (clock skew) counts fully. */
export function weightOf(o: Outcome, now: number, halfLifeMs: number): number {
  const age = Math.max(0, now - o.at);
  return Math.pow(0.5, age / halfLifeMs);
}

export interface Evidence {
  /** Recency-weighted successes and failures (the Beta posterior adds the prior to these). */
  successes: number;
  failures: number;
  /** successes + failures: how much evidence there is, after fading. */
  weight: number;
}

export function evidenceOf(outcomes: readonly Outcome[], now: number, params: TrustParams): Evidence {
  let successes = 0;
  let failures = 0;
  for (const o of outcomes) {
    const w = weightOf(o, now, params.halfLifeMs);
    if (succeeded(o)) successes += w;
    else failures += w;
  }
  return { successes, failures, weight: successes + failures };
}

/**
 * Trust in [0, 1]: a pessimistic lower bound of the success probability.
 *
 * The posterior of the success rate is Beta(α + s, β + f), where s and f are the recency-weighted
 * successes and failures and Beta(α, β) the prior. We report mean − z·sd of that posterior (the
 * normal approximation of its lower quantile), clamped to [0, 1]. Why this choice: it is closed
 * form (no incomplete-beta inversion in workflow code), rises with successes and falls with failures, and it punishes
 * thin evidence — Beta(1,1) with one success gives ≈ 0.28, not 1 — while many successes drive it
 * towards the observed rate. Weights decay with a half-life, so the evidence of an agent that
 * stopped running shrinks back towards the prior and its trust falls: trust has to be kept up.
 */
export function trustOf(
  outcomes: readonly Outcome[],
  now: number,
  params: TrustParams = DEFAULT_TRUST_PARAMS,
): number {
  const { successes, failures } = evidenceOf(outcomes, now, params);
  const a = params.priorSuccesses + successes;
  const b = params.priorFailures + failures;
  const n = a + b;
  const mean = a / n;
  const sd = Math.sqrt((a * b) / (n * n * (n + 1)));
  return round(Math.min(1, Math.max(0, mean - params.z * sd)));
}

/** A new or long-idle agent: too little recent evidence to be trusted with sensitive work. */
export function onProbation(
  outcomes: readonly Outcome[],
  now: number,
  params: TrustParams = DEFAULT_TRUST_PARAMS,
): boolean {
  // Rounded so that N outcomes from the last couple of hours count as N.
  return round(evidenceOf(outcomes, now, params).weight, 1) < params.probationOutcomes;
}

/** Appends an outcome, keeping the newest `max` by time (signals may arrive out of order). */
export function appendOutcome(outcomes: readonly Outcome[], o: Outcome, max: number): Outcome[] {
  const next = [...outcomes, o].sort((x, y) => x.at - y.at);
  return next.length > max ? next.slice(next.length - max) : next;
}

export interface RecentError {
  at: number;
  category: ErrorCategory;
  error?: string;
}

export interface OutcomeStats {
  count: number;
  /** Share of outcomes that succeeded (unweighted), null without outcomes. */
  successRate: number | null;
  /** Of the answers that produced output, the share whose output passed validation. */
  validatedRate: number | null;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  meanCostUsd: number | null;
  errorsByCategory: Partial<Record<ErrorCategory, number>>;
  /** The last few failures, newest first. */
  recentErrors: RecentError[];
  lastAt: number | null;
}

/** Nearest-rank percentile of ascending values. */
function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] ?? null;
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

export function stats(outcomes: readonly Outcome[], recentErrors = 5): OutcomeStats {
  const count = outcomes.length;
  const ok = outcomes.filter(succeeded).length;
  // Output was produced when the agent answered: valid, or rejected by the output schema.
  const answered = outcomes.filter((o) => o.ok || o.category === 'invalid-output');
  const validated = answered.filter((o) => o.ok).length;
  const latencies = outcomes
    .map((o) => o.latencyMs)
    .filter((x): x is number => typeof x === 'number')
    .sort((a, b) => a - b);
  const costs = outcomes.map((o) => o.costUsd).filter((x): x is number => typeof x === 'number');
  const errorsByCategory: Partial<Record<ErrorCategory, number>> = {};
  const failures: RecentError[] = [];
  for (const o of outcomes) {
    if (succeeded(o)) continue;
    const category: ErrorCategory = o.category ?? (o.ok ? 'refused' : 'unknown');
    errorsByCategory[category] = (errorsByCategory[category] ?? 0) + 1;
    failures.push({ at: o.at, category, ...(o.error ? { error: o.error } : {}) });
  }
  return {
    count,
    successRate: count ? round(ok / count) : null,
    validatedRate: answered.length ? round(validated / answered.length) : null,
    latencyP50Ms: percentile(latencies, 50),
    latencyP95Ms: percentile(latencies, 95),
    meanCostUsd: costs.length ? round(costs.reduce((s, c) => s + c, 0) / costs.length, 6) : null,
    errorsByCategory,
    recentErrors: failures.sort((a, b) => b.at - a.at).slice(0, recentErrors),
    lastAt: count ? Math.max(...outcomes.map((o) => o.at)) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Circuit breaker. `open` carries the time it may be probed, so `canRoute` needs no parameters and
// the transition open → half-open is a pure function of the clock (nobody has to fire a timer).

export const CLOSED: BreakerState = { state: 'closed', failures: [] };

export type BreakerEvent =
  | { kind: 'success' }
  | { kind: 'failure' }
  /** A caller was let through to probe a half-open circuit (see `claimProbe`). */
  | { kind: 'probe'; id: string };

/** The state as of `now`: an open circuit whose cool-down has passed is half-open. */
export function breakerAt(b: BreakerState, now: number): BreakerState {
  if (b.state === 'open' && now >= b.retryAt) return { state: 'half-open', reopens: b.reopens };
  return b;
}

export function breakerNext(
  current: BreakerState,
  event: BreakerEvent,
  now: number,
  params: BreakerParams = DEFAULT_BREAKER_PARAMS,
): BreakerState {
  const b = breakerAt(current, now);
  const open = (reopens: number): BreakerState => ({
    state: 'open',
    openedAt: now,
    retryAt: now + params.coolDownMs * Math.min(2 ** reopens, params.maxCoolDownFactor),
    reopens,
  });
  switch (b.state) {
    case 'closed': {
      if (event.kind !== 'failure') return b;
      const failures = [...b.failures.filter((t) => t > now - params.windowMs), now];
      return failures.length >= params.failureThreshold ? open(0) : { state: 'closed', failures };
    }
    case 'open':
      // Late results of attempts started before the circuit opened change nothing.
      return b;
    case 'half-open':
      if (event.kind === 'probe') {
        return { ...b, probe: { id: event.id, at: now, timeoutAt: now + params.probeTimeoutMs } };
      }
      return event.kind === 'success' ? CLOSED : open(b.reopens + 1);
  }
}

/** May new work be routed to this agent now? A half-open circuit admits only its one probe. */
export function canRoute(b: BreakerState, now: number): boolean {
  const at = breakerAt(b, now);
  if (at.state === 'closed') return true;
  if (at.state === 'open') return false;
  return !at.probe || now >= at.probe.timeoutAt;
}

/**
 * Claims the right to route to an agent. Closed: granted. Half-open: granted to the first caller
 * (and again to the same `id`, so a retried claim is idempotent), recorded as the probe. Open:
 * refused. Returns the next state and the answer.
 */
export function claimProbe(
  b: BreakerState,
  id: string,
  now: number,
  params: BreakerParams = DEFAULT_BREAKER_PARAMS,
): { granted: boolean; next: BreakerState } {
  const at = breakerAt(b, now);
  if (at.state === 'closed') return { granted: true, next: at };
  if (at.state === 'open') return { granted: false, next: at };
  if (at.probe?.id === id) return { granted: true, next: at };
  if (!canRoute(at, now)) return { granted: false, next: at };
  return { granted: true, next: breakerNext(at, { kind: 'probe', id }, now, params) };
}

// ---------------------------------------------------------------------------------------------
// The snapshot every reader sees: the ledger's query answer, and what a fresh agent looks like.

export interface AgentSnapshot {
  agentId: string;
  /** Lower bound of the success probability (see `trustOf`). */
  trust: number;
  probation: boolean;
  /** Recency-weighted evidence behind `trust`. */
  evidence: number;
  /** The breaker as of `at`; use `canRoute(breaker, now)` with your own clock. */
  breaker: BreakerState;
  routable: boolean;
  stats: OutcomeStats;
  outcomes: number;
  /** The time (ms) the snapshot was computed for. */
  at: number;
  /** False when no ledger exists yet: a fresh agent, judged by the prior alone. */
  recorded: boolean;
}

export function snapshotOf(
  agentId: string,
  outcomes: readonly Outcome[],
  breaker: BreakerState,
  now: number,
  params: TrustParams = DEFAULT_TRUST_PARAMS,
  recorded = true,
): AgentSnapshot {
  const current = breakerAt(breaker, now);
  return {
    agentId,
    trust: trustOf(outcomes, now, params),
    probation: onProbation(outcomes, now, params),
    evidence: round(evidenceOf(outcomes, now, params).weight),
    breaker: current,
    routable: canRoute(current, now),
    stats: stats(outcomes),
    outcomes: outcomes.length,
    at: now,
    recorded,
  };
}

/** A fresh agent: probation, trust from the prior alone, circuit closed. */
export const freshSnapshot = (agentId: string, now: number, params: TrustParams = DEFAULT_TRUST_PARAMS) =>
  snapshotOf(agentId, [], CLOSED, now, params, false);
