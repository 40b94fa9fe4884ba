// `arbiter metrics`: what the closed contracts of a period say about the system. Pure: the caller
// lists the contracts (source.ts), reads ratings, the agents' measured trust and the worker's
// resource figures, and passes them in.
import type { History } from '@temporalio/common/lib/proto-utils.js';
import proto from '@temporalio/proto';
import type { ContractState, Outcome, TrailStep } from '../shared/decision.js';
import type { ErrorCategory } from '../shared/failures.js';

/** What one contract's run cost Temporal, read from its history. */
export interface ContractResources {
  historyEvents: number;
  /** Activity attempts (scheduled activities, counting retries) plus local activities. */
  activityExecutions: number;
}

export interface MetricsContract {
  workflowId: string;
  startTime: string;
  closeTime: string;
  state: ContractState;
  resources?: ContractResources;
}

/** The worker process's own use, from its Prometheus endpoint. */
export interface WorkerResources {
  url: string;
  cpuSeconds?: number;
  residentMemoryBytes?: number;
  /** Why the figures are missing (endpoint off or unreachable), and where to read them. */
  unavailable?: string;
}

export interface MetricsInput {
  contracts: readonly MetricsContract[];
  /** Last rating (1..5) per workflow id. */
  ratings?: ReadonlyMap<string, { score: number }>;
  /** Measured trust per agent id, from the ledgers; undefined when the ledgers could not be read. */
  trust?: ReadonlyMap<string, number>;
  since?: string;
  worker?: WorkerResources;
}

export interface ResourceUse {
  perContract: {
    /** Contracts whose history was read (the rest have no event or activity figures). */
    measured: number;
    historyEvents: { total: number; mean: number | null; p95: number | null; max: number | null };
    activityExecutions: { total: number; mean: number | null; max: number | null };
    /** Agent call time as the workers measured it, over all attempts. */
    agentTimeMs: { total: number; mean: number | null };
    /** LLM tokens: agents' and Arbiter's own (classification). */
    tokens: { input: number; output: number; meanPerContract: number | null };
  };
  worker?: WorkerResources;
}

export interface Metrics {
  window: { since: string | null; firstStart: string | null; lastClose: string | null };
  contracts: number;
  outcomes: Record<Outcome, number>;
  /** Contracts per minute between the first start and the last close; null for an empty or instant window. */
  throughputPerMinute: number | null;
  /** Close − start, nearest-rank percentiles. */
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
  /** SUCCEEDED / all closed contracts. */
  successRate: number | null;
  /** Failed agent attempts by category. */
  errorsByCategory: Partial<Record<ErrorCategory, number>>;
  policyCompliance: {
    /** Share of decided contracts whose decision names a policy version and policy ids (or a recorded default deny). */
    rate: number | null;
    decided: number;
    compliant: number;
    versions: string[];
  };
  auditCompleteness: {
    rate: number | null;
    complete: number;
    incomplete: { workflowId: string; missing: string[] }[];
  };
  /** Mean measured trust of the agents that ran in the window. */
  agentSatisfaction: { meanTrust: number | null; agents: number };
  /** Mean user rating (1..5) of the window's rated contracts. */
  userSatisfaction: { meanRating: number | null; ratings: number };
  cost: { totalUsd: number; perContractUsd: number | null };
  resources: ResourceUse;
}

const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/** Events and activity executions of one contract's history. */
export function historyResources(history: History): ContractResources {
  const E = proto.temporal.api.enums.v1.EventType;
  let activityExecutions = 0;
  for (const e of history.events ?? []) {
    if (e.eventType === E.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
      // Only the last attempt is recorded as an event; its number says how many ran.
      activityExecutions += Math.max(1, e.activityTaskStartedEventAttributes?.attempt ?? 1);
    } else if (
      e.eventType === E.EVENT_TYPE_MARKER_RECORDED &&
      e.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER
    ) {
      activityExecutions += 1;
    }
  }
  return { historyEvents: history.events?.length ?? 0, activityExecutions };
}

/** The process figures a worker's /metrics exposition carries (prom-client's default metrics). */
export function workerResourcesFromExposition(url: string, text: string): WorkerResources {
  const value = (name: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    const n = line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
    return Number.isFinite(n) ? n : undefined;
  };
  const cpuSeconds = value('process_cpu_seconds_total');
  const residentMemoryBytes = value('process_resident_memory_bytes');
  return {
    url,
    ...(cpuSeconds !== undefined ? { cpuSeconds } : {}),
    ...(residentMemoryBytes !== undefined ? { residentMemoryBytes } : {}),
    ...(cpuSeconds === undefined && residentMemoryBytes === undefined
      ? { unavailable: `${url} has no process_cpu_seconds_total or process_resident_memory_bytes` }
      : {}),
  };
}

function resourceUse(cs: readonly MetricsContract[], worker?: WorkerResources): ResourceUse {
  const measured = cs.map((c) => c.resources).filter((r): r is ContractResources => r !== undefined);
  const events = measured.map((r) => r.historyEvents).sort((a, b) => a - b);
  const activities = measured.map((r) => r.activityExecutions);
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  const agentTime = sum(cs.flatMap((c) => c.state.attempts.map((a) => a.latencyMs ?? 0)));
  const input = sum(cs.map((c) => c.state.usage.inputTokens));
  const output = sum(cs.map((c) => c.state.usage.outputTokens));
  const per = (total: number, n: number, digits = 1) => (n > 0 ? round(total / n, digits) : null);
  return {
    perContract: {
      measured: measured.length,
      historyEvents: {
        total: sum(events),
        mean: per(sum(events), events.length),
        p95: percentile(events, 95),
        max: events.length ? events[events.length - 1]! : null,
      },
      activityExecutions: {
        total: sum(activities),
        mean: per(sum(activities), activities.length),
        max: activities.length ? Math.max(...activities) : null,
      },
      agentTimeMs: { total: agentTime, mean: per(agentTime, cs.length) },
      tokens: { input, output, meanPerContract: per(input + output, cs.length) },
    },
    ...(worker ? { worker } : {}),
  };
}

const round = (n: number, digits = 4) => Math.round(n * 10 ** digits) / 10 ** digits;
const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/** Nearest-rank percentile of sorted values: the smallest value with at least p% at or below it. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? null;
}

/** The steps an audit trail must have for this contract's path; returns those it lacks. */
export function missingSteps(s: ContractState): string[] {
  const steps = new Set<TrailStep>(s.trail.map((e) => e.step));
  const required: TrailStep[] = ['submitted', 'outcome'];
  if (s.outcome === 'CANCELLED') {
    required.push('cancel');
  } else {
    required.push('classify', 'policy');
    if (s.decision?.route === 'HUMAN_REVIEW') required.push('review');
    if (s.outcome === 'SUCCEEDED') {
      // A pipeline records each stage's decision instead of one selection.
      required.push(s.stages?.length ? 'stage' : 'select', 'execute', 'validate');
    }
  }
  return required.filter((r) => !steps.has(r));
}

function compliant(s: ContractState): boolean {
  const d = s.decision;
  if (!d || !d.policyVersion) return false;
  // A rejection nobody permitted is the engine's recorded default deny: decided under a version.
  return d.policyIds.length > 0 || d.route === 'REJECT';
}

export function computeMetrics(input: MetricsInput): Metrics {
  const cs = input.contracts;
  const outcomes: Record<Outcome, number> = { SUCCEEDED: 0, FAILED: 0, REJECTED: 0, CANCELLED: 0 };
  for (const c of cs) if (c.state.outcome) outcomes[c.state.outcome] += 1;

  const starts = cs.map((c) => Date.parse(c.startTime));
  const closes = cs.map((c) => Date.parse(c.closeTime));
  const firstStart = starts.length ? Math.min(...starts) : undefined;
  const lastClose = closes.length ? Math.max(...closes) : undefined;
  const spanMin = firstStart !== undefined && lastClose !== undefined ? (lastClose - firstStart) / 60_000 : 0;

  const latencies = cs.map((c, i) => closes[i]! - starts[i]!).sort((a, b) => a - b);

  const errorsByCategory: Partial<Record<ErrorCategory, number>> = {};
  for (const c of cs) {
    for (const a of c.state.attempts) {
      if (a.ok) continue;
      const cat = a.errorCategory ?? 'unknown';
      errorsByCategory[cat] = (errorsByCategory[cat] ?? 0) + 1;
    }
  }

  // A contract cancelled before policy decided has no decision to judge.
  const decided = cs.filter((c) => c.state.decision || c.state.outcome !== 'CANCELLED');
  const compliantCount = decided.filter((c) => compliant(c.state)).length;
  const versions = [
    ...new Set(cs.map((c) => c.state.decision?.policyVersion).filter((v): v is string => !!v)),
  ].sort();

  const incomplete = cs
    .map((c) => ({ workflowId: c.workflowId, missing: missingSteps(c.state) }))
    .filter((x) => x.missing.length > 0);

  const agentsRan = [...new Set(cs.flatMap((c) => c.state.attempts.map((a) => a.agentId)))].sort();
  const trusts = input.trust
    ? agentsRan.map((id) => input.trust!.get(id)).filter((t): t is number => t !== undefined)
    : [];

  const scores = cs
    .map((c) => input.ratings?.get(c.workflowId)?.score)
    .filter((s): s is number => s !== undefined);

  const totalUsd = cs.reduce((sum, c) => sum + c.state.usage.costUsd, 0);
  const share = (n: number, of: number) => (of > 0 ? round(n / of) : null);
  const meanTrust = mean(trusts);
  const meanRating = mean(scores);

  return {
    window: {
      since: input.since ?? null,
      firstStart: firstStart !== undefined ? new Date(firstStart).toISOString() : null,
      lastClose: lastClose !== undefined ? new Date(lastClose).toISOString() : null,
    },
    contracts: cs.length,
    outcomes,
    throughputPerMinute: spanMin > 0 ? round(cs.length / spanMin, 3) : null,
    latencyMs: {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
    },
    successRate: share(outcomes.SUCCEEDED, cs.length),
    errorsByCategory,
    policyCompliance: {
      rate: share(compliantCount, decided.length),
      decided: decided.length,
      compliant: compliantCount,
      versions,
    },
    auditCompleteness: {
      rate: share(cs.length - incomplete.length, cs.length),
      complete: cs.length - incomplete.length,
      incomplete,
    },
    agentSatisfaction: { meanTrust: meanTrust === null ? null : round(meanTrust), agents: trusts.length },
    userSatisfaction: {
      meanRating: meanRating === null ? null : round(meanRating, 2),
      ratings: scores.length,
    },
    cost: { totalUsd: round(totalUsd, 6), perContractUsd: cs.length ? round(totalUsd / cs.length, 6) : null },
    resources: resourceUse(cs, input.worker),
  };
}

const pct = (r: number | null) => (r === null ? '-' : `${(r * 100).toFixed(1)}%`);
const ms = (n: number | null) => (n === null ? '-' : `${n} ms`);

const num = (n: number | null, unit: string) => (n === null ? '-' : `${n} ${unit}`);

function workerLine(w: WorkerResources | undefined): string {
  if (!w) return 'worker process: -';
  if (w.unavailable) return `worker process: ${w.unavailable}`;
  const parts = [
    w.cpuSeconds !== undefined ? `${w.cpuSeconds.toFixed(2)} s CPU` : undefined,
    w.residentMemoryBytes !== undefined
      ? `${(w.residentMemoryBytes / 1e6).toFixed(1)} MB resident`
      : undefined,
  ].filter(Boolean);
  return `worker process: ${parts.join(', ')} (${w.url})`;
}

/** The text `arbiter metrics` prints. */
export function metricsLines(m: Metrics, taskQueue: string): string[] {
  const errors = Object.entries(m.errorsByCategory);
  const r = m.resources.perContract;
  return [
    `metrics of task queue ${taskQueue}${m.window.since ? ` since ${m.window.since}` : ''}: ${m.contracts} closed contracts`,
    `  outcomes            ${Object.entries(m.outcomes)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}`,
    `  success rate        ${pct(m.successRate)}`,
    `  throughput          ${m.throughputPerMinute === null ? '-' : `${m.throughputPerMinute} contracts/min`}`,
    `  latency             p50 ${ms(m.latencyMs.p50)}, p95 ${ms(m.latencyMs.p95)}, p99 ${ms(m.latencyMs.p99)}`,
    `  errors              ${errors.length ? errors.map(([k, v]) => `${k} ${v}`).join(', ') : 'none'}`,
    `  policy compliance   ${pct(m.policyCompliance.rate)} (${m.policyCompliance.compliant}/${m.policyCompliance.decided}; ${m.policyCompliance.versions.length} policy version${m.policyCompliance.versions.length === 1 ? '' : 's'}: ${m.policyCompliance.versions.join(', ') || '-'})`,
    `  audit completeness  ${pct(m.auditCompleteness.rate)}${m.auditCompleteness.incomplete.length ? ` (incomplete: ${m.auditCompleteness.incomplete.map((x) => `${x.workflowId} lacks ${x.missing.join('/')}`).join('; ')})` : ''}`,
    `  agent satisfaction  ${m.agentSatisfaction.meanTrust === null ? '-' : `mean measured trust ${m.agentSatisfaction.meanTrust} over ${m.agentSatisfaction.agents} agents`}`,
    `  user satisfaction   ${m.userSatisfaction.meanRating === null ? 'no ratings' : `${m.userSatisfaction.meanRating}/5 from ${m.userSatisfaction.ratings} ratings`}`,
    `  cost                $${m.cost.totalUsd.toFixed(4)} total, ${m.cost.perContractUsd === null ? '-' : `$${m.cost.perContractUsd.toFixed(4)}`} per contract`,
    `  resource use        history ${num(r.historyEvents.mean, 'events/contract')} (p95 ${num(r.historyEvents.p95, 'events')}), ${num(r.activityExecutions.mean, 'activity executions/contract')}, agent time ${num(r.agentTimeMs.mean, 'ms/contract')}, tokens ${r.tokens.input} in / ${r.tokens.output} out`,
    `                      ${workerLine(m.resources.worker)}`,
  ];
}
