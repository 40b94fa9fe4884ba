// `arbiter metrics` over a known set of closed contracts: each number is what an operator expects.
import proto from '@temporalio/proto';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import { describe, expect, it } from 'vitest';
import {
  computeMetrics,
  historyResources,
  metricsLines,
  missingSteps,
  percentile,
  workerResourcesFromExposition,
  type MetricsContract,
} from '../../src/audit/metrics.js';
import { loadConfig } from '../../src/config/settings.js';
import type { ContractState, TrailEvent } from '../../src/shared/decision.js';
import { trailEvent } from '../../src/shared/trail.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const iso = (ms: number) => new Date(T0 + ms).toISOString();
/** A plausible event for each step a trail may have (metrics only look at which steps are there). */
const EVENTS = {
  submitted: trailEvent(
    'submitted',
    { workflowId: 'w', contractId: 'c', title: 't', dataClass: 'internal' },
    iso(0),
  ),
  classify: trailEvent(
    'classified',
    { domain: 'data', confidence: 0.9, reasoning: [], method: 'rules' },
    iso(0),
  ),
  policy: trailEvent(
    'decided',
    {
      route: 'AGENT',
      permitted: ['analyst'],
      candidates: [],
      explanation: [],
      policyIds: [],
      policyVersion: 'v1',
    },
    iso(0),
  ),
  select: trailEvent('selected', { agentId: 'analyst', fallbacks: [], scores: [] }, iso(0)),
  execute: trailEvent(
    'agent-answered',
    { agentId: 'analyst', label: 'c', latencyMs: 5, usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 } },
    iso(0),
  ),
  validate: trailEvent('output-checked', { agentId: 'analyst', errors: [], hasSchema: true }, iso(0)),
  outcome: trailEvent('finished', { outcome: 'SUCCEEDED' }, iso(0)),
} satisfies Partial<Record<TrailEvent['step'], TrailEvent>>;
const trail = (...steps: (keyof typeof EVENTS)[]): TrailEvent[] => steps.map((step) => EVENTS[step]);

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

describe('resource use', () => {
  const E = proto.temporal.api.enums.v1.EventType;
  const event = (eventType: number, extra: Record<string, unknown> = {}) => ({ eventType, ...extra });
  // Start, a workflow task, an activity that ran on its 3rd attempt, two local activities and a
  // marker of another kind, then completion.
  const history = {
    events: [
      event(E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED),
      event(E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
      event(E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
      event(E.EVENT_TYPE_ACTIVITY_TASK_STARTED, { activityTaskStartedEventAttributes: { attempt: 3 } }),
      event(E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED),
      event(E.EVENT_TYPE_MARKER_RECORDED, {
        markerRecordedEventAttributes: { markerName: 'core_local_activity' },
      }),
      event(E.EVENT_TYPE_MARKER_RECORDED, {
        markerRecordedEventAttributes: { markerName: 'core_local_activity' },
      }),
      event(E.EVENT_TYPE_MARKER_RECORDED, { markerRecordedEventAttributes: { markerName: 'core_patch' } }),
      event(E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED),
    ],
  } as unknown as History;

  it('counts history events and activity executions, retries and local activities included', () => {
    expect(historyResources(history)).toEqual({ historyEvents: 9, activityExecutions: 5 });
    expect(historyResources({ events: [] })).toEqual({
      historyEvents: 0,
      activityExecutions: 0,
    });
  });

  it('sums agent time and tokens per contract, and summarises the measured histories', () => {
    const withResources = contracts.map((c, k) => ({
      ...c,
      resources: { historyEvents: 10 + k, activityExecutions: 5 },
    }));
    const r = computeMetrics({ contracts: withResources }).resources;
    expect(r.perContract).toEqual({
      measured: 10,
      historyEvents: { total: 145, mean: 14.5, p95: 19, max: 19 },
      activityExecutions: { total: 50, mean: 5, max: 5 },
      // Seven contracts' single attempts of 5 ms; contract 2's attempts carry no latency.
      agentTimeMs: { total: 35, mean: 3.5 },
      tokens: { input: 10, output: 20, meanPerContract: 3 },
    });
    // Without histories the per-contract event figures are unknown, not zero.
    const bare = computeMetrics({ contracts }).resources.perContract;
    expect(bare.measured).toBe(0);
    expect(bare.historyEvents.mean).toBeNull();
  });

  it("reads the worker's CPU and memory from its exposition, and says where when it cannot", () => {
    const url = 'http://localhost:9464/metrics';
    const text = [
      '# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.',
      '# TYPE process_cpu_seconds_total counter',
      'process_cpu_seconds_total 12.5',
      'process_resident_memory_bytes 104857600',
      'temporal_workflow_completed{task_queue="q"} 3',
    ].join('\n');
    const worker = workerResourcesFromExposition(url, text);
    expect(worker).toEqual({ url, cpuSeconds: 12.5, residentMemoryBytes: 104857600 });
    expect(workerResourcesFromExposition(url, 'temporal_x 1').unavailable).toContain(url);

    const lines = metricsLines(computeMetrics({ contracts, worker }), 'q').join('\n');
    expect(lines).toContain('tokens 10 in / 20 out');
    expect(lines).toContain(`worker process: 12.50 s CPU, 104.9 MB resident (${url})`);
  });

  it('serves metrics on 9464 unless ARBITER_METRICS_PORT says otherwise; off or 0 turns it off', () => {
    expect(loadConfig({}, '/nowhere').metrics).toEqual({ port: 9464, host: '0.0.0.0' });
    expect(
      loadConfig({ ARBITER_METRICS_PORT: '9100', ARBITER_METRICS_HOST: '127.0.0.1' }, '/nowhere').metrics,
    ).toEqual({
      port: 9100,
      host: '127.0.0.1',
    });
    expect(loadConfig({ ARBITER_METRICS_PORT: 'off' }, '/nowhere').metrics).toBeUndefined();
    expect(loadConfig({ ARBITER_METRICS_PORT: '0' }, '/nowhere').metrics).toBeUndefined();
    expect(() => loadConfig({ ARBITER_METRICS_PORT: 'nine' }, '/nowhere')).toThrow(
      expect.objectContaining({
        details: [
          'ARBITER_METRICS_PORT: expected a port number (1-65535), or off (or 0) to serve no metrics',
        ],
      }),
    );
  });
});
