// `arbiter metrics` over a known set of closed contracts: each number is what an operator expects.
import { describe, expect, it } from 'vitest';
import {
  computeMetrics,
  metricsLines,
  missingSteps,
  percentile,
  type MetricsContract,
} from '../../src/audit/metrics.js';
import type { AuditEvent, ContractState } from '../../src/shared/decision.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const iso = (ms: number) => new Date(T0 + ms).toISOString();
const trail = (...steps: AuditEvent['step'][]): AuditEvent[] =>
  steps.map((step) => ({ at: iso(0), step, summary: step }));

function succeeded(i: number, extra: Partial<ContractState> = {}): ContractState {
  return {
    workflowId: `contract/ok-${i}`,
    contractId: `ok-${i}`,
    title: 'ok',
    status: 'completed',
    outcome: 'SUCCEEDED',
    classification: { domain: 'data', confidence: 0.9, reasoning: [], method: 'rules' },
    decision: {
      route: 'AGENT',
      agentId: 'analyst',
      fallbacks: [],
      explanation: [],
      policyIds: ['capability-match'],
      policyVersion: 'v1',
    },
    attempts: [{ agentId: 'analyst', ok: true, latencyMs: 5 }],
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0.01 },
    trail: trail('submitted', 'classify', 'policy', 'select', 'execute', 'validate', 'outcome'),
    ...extra,
  };
}

function rejected(i: number): ContractState {
  return {
    workflowId: `contract/no-${i}`,
    contractId: `no-${i}`,
    title: 'no',
    status: 'rejected',
    outcome: 'REJECTED',
    classification: { domain: 'health', confidence: 0.9, reasoning: [], method: 'rules' },
    decision: {
      route: 'REJECT',
      agentId: null,
      fallbacks: [],
      explanation: [],
      policyIds: ['clearance'],
      policyVersion: i === 0 ? 'v1' : 'v2',
    },
    attempts: [],
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    trail: trail('submitted', 'classify', 'policy', 'outcome'),
  };
}

// 10 contracts: 8 succeed (one after a timed-out and an invalid attempt, one with a gap in its trail),
// 2 rejected. Contract k starts at k seconds and takes (k + 1) * 100 ms; the last closes at 9.999 s.
const states: ContractState[] = [
  ...Array.from({ length: 8 }, (_, i) => succeeded(i)),
  rejected(0),
  rejected(1),
];
states[2] = succeeded(2, {
  attempts: [
    { agentId: 'planner', ok: false, errorCategory: 'timeout', error: 'late' },
    { agentId: 'analyst', ok: false, errorCategory: 'invalid-output', error: 'bad' },
    { agentId: 'gpt-writer', ok: true },
  ],
  usage: { inputTokens: 10, outputTokens: 20, costUsd: 0.03 },
});
states[5] = succeeded(5, { trail: trail('submitted', 'classify', 'policy', 'select', 'execute', 'outcome') });
const contracts: MetricsContract[] = states.map((state, k) => ({
  workflowId: state.workflowId,
  startTime: iso(k * 1000),
  closeTime: iso(k * 1000 + (k + 1) * 100),
  state,
}));

describe('metrics', () => {
  const m = computeMetrics({
    contracts,
    ratings: new Map([
      ['contract/ok-0', { score: 5 }],
      ['contract/ok-1', { score: 2 }],
      ['contract/elsewhere', { score: 1 }],
    ]),
    trust: new Map([
      ['analyst', 0.8],
      ['planner', 0.2],
      ['gpt-writer', 0.5],
      ['never-ran', 0],
    ]),
  });

  it('counts outcomes and the success rate: 8 of 10 succeeded', () => {
    expect(m.contracts).toBe(10);
    expect(m.outcomes).toEqual({ SUCCEEDED: 8, FAILED: 0, REJECTED: 2, CANCELLED: 0 });
    expect(m.successRate).toBe(0.8);
  });

  it('measures throughput over the window and latency percentiles', () => {
    // 10 contracts between 0 s and 10 s (the last closes at 9 s + 1 s): 60 per minute.
    expect(m.window.firstStart).toBe(iso(0));
    expect(m.window.lastClose).toBe(iso(10_000));
    expect(m.throughputPerMinute).toBe(60);
    expect(m.latencyMs).toEqual({ p50: 500, p95: 1000, p99: 1000 });
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([], 50)).toBeNull();
  });

  it('counts failed attempts by error category', () => {
    expect(m.errorsByCategory).toEqual({ timeout: 1, 'invalid-output': 1 });
  });

  it('reports policy compliance and how many policy versions decided', () => {
    expect(m.policyCompliance).toMatchObject({ rate: 1, decided: 10, compliant: 10, versions: ['v1', 'v2'] });
    const undecided = computeMetrics({
      contracts: [
        { ...contracts[0]!, state: { ...states[0]!, decision: { ...states[0]!.decision!, policyIds: [] } } },
      ],
    });
    expect(undecided.policyCompliance).toMatchObject({ rate: 0, compliant: 0 });
  });

  it('finds the trail that lacks a step its path requires', () => {
    expect(m.auditCompleteness).toEqual({
      rate: 0.9,
      complete: 9,
      incomplete: [{ workflowId: 'contract/ok-5', missing: ['validate'] }],
    });
    expect(missingSteps(rejected(0))).toEqual([]);
    expect(
      missingSteps({ ...rejected(0), decision: { ...rejected(0).decision!, route: 'HUMAN_REVIEW' } }),
    ).toEqual(['review']);
  });

  it('reports satisfaction: mean trust of the agents that ran, mean rating of the window', () => {
    expect(m.agentSatisfaction).toEqual({ meanTrust: 0.5, agents: 3 });
    expect(m.userSatisfaction).toEqual({ meanRating: 3.5, ratings: 2 });
    expect(m.cost).toEqual({ totalUsd: 0.1, perContractUsd: 0.01 });
  });

  it('prints a readable summary and survives an empty window', () => {
    const text = metricsLines(m, 'q').join('\n');
    expect(text).toContain('success rate        80.0%');
    expect(text).toContain('timeout 1');
    expect(text).toContain('2 policy versions');
    const empty = computeMetrics({ contracts: [] });
    expect(empty).toMatchObject({ contracts: 0, successRate: null, throughputPerMinute: null });
    expect(metricsLines(empty, 'q').join('\n')).toContain('0 closed contracts');
  });
});
