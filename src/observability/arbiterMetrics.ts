// Arbiter's own Prometheus series, in one prom-client registry per process (every worker of the
// process adds to it). They are fed by an activity interceptor (activityMetrics.ts) and, for the
// review queue, by a visibility count taken at scrape time (reviewQueue.ts).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CIRCUITS } from '../shared/decision.js';

/** Seconds; agent calls range from a builtin's microseconds to an LLM's minutes. */
const AGENT_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/** Seconds; a Cedar evaluation is sub-millisecond, reading the ledgers adds round trips. */
const POLICY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

/** Counts the review queue of one task queue; undefined when it could not be counted this time. */
export type QueueCounter = () => Promise<number | undefined>;

type Registers = Registry[];
type QueueCounters = {
  reviewQueues: Map<string, QueueCounter>;
  agentQueues: Map<string, { queue: string; count: QueueCounter }>;
};

/** What governance decided: routes, policy evaluations and their time, classifications. */
const decisionSeries = (registers: Registers) => ({
  decisions: new Counter({
    name: 'arbiter_decisions_total',
    help: 'Routing decisions by policy (first evaluation of a contract or pipeline stage), by route',
    labelNames: ['route', 'kind'] as const,
    registers,
  }),
  policyEvaluations: new Counter({
    name: 'arbiter_policy_evaluations_total',
    help: 'Policy evaluations (including the re-evaluation after a review), by route; route="error" when evaluation failed',
    labelNames: ['route'] as const,
    registers,
  }),
  policyDuration: new Histogram({
    name: 'arbiter_policy_evaluation_duration_seconds',
    help: 'Time to evaluate policy, including reading the agents’ standings',
    labelNames: ['route'] as const,
    buckets: POLICY_BUCKETS,
    registers,
  }),
  classifications: new Counter({
    name: 'arbiter_classifications_total',
    help: 'Contracts classified, by domain and method (rules, llm, fallback)',
    labelNames: ['domain', 'method'] as const,
    registers,
  }),
});

/** What agents did: latency, errors, tokens, cost, circuit state. */
const agentSeries = (registers: Registers) => ({
  agentDuration: new Histogram({
    name: 'arbiter_agent_call_duration_seconds',
    help: 'Agent call latency as the worker measured it, by agent and outcome (ok, error)',
    labelNames: ['agent', 'outcome'] as const,
    buckets: AGENT_BUCKETS,
    registers,
  }),
  agentErrors: new Counter({
    name: 'arbiter_agent_call_errors_total',
    help: 'Failed agent call attempts, by agent and error category',
    labelNames: ['agent', 'category'] as const,
    registers,
  }),
  agentTokens: new Counter({
    name: 'arbiter_agent_tokens_total',
    help: 'LLM tokens reported by agents, by agent and direction (input, output)',
    labelNames: ['agent', 'direction'] as const,
    registers,
  }),
  agentCost: new Counter({
    name: 'arbiter_agent_cost_usd_total',
    help: 'Cost of successful agent calls in US dollars, by agent',
    labelNames: ['agent'] as const,
    registers,
  }),
  circuit: new Gauge({
    name: 'arbiter_agent_circuit_state',
    help: 'Circuit breaker state per agent as last seen by this worker’s decisions: 1 for the current state, 0 for the others',
    labelNames: ['agent', 'state'] as const,
    registers,
  }),
});

/** Tool calls inside agent loops, and notifications to reviewers. */
const toolAndNotifySeries = (registers: Registers) => ({
  toolDecisions: new Counter({
    name: 'arbiter_tool_decisions_total',
    help: 'Tool calls decided by policy inside agent loops, by tool (server/name), route (ALLOW, HUMAN_REVIEW, DENY) and whether a person had approved the call',
    labelNames: ['tool', 'route', 'reviewed'] as const,
    registers,
  }),
  toolCallDuration: new Histogram({
    name: 'arbiter_tool_call_duration_seconds',
    help: 'Tool calls that ran, by tool (server/name) and outcome (ok; tool-error: the tool reported a failure; failed: the step failed)',
    labelNames: ['tool', 'outcome'] as const,
    buckets: AGENT_BUCKETS,
    registers,
  }),
  notifications: new Counter({
    name: 'arbiter_notifications_total',
    help: 'Notification attempts to reviewers, by channel, channel kind and outcome (sent, already-sent, failed: retried, refused: not retried)',
    labelNames: ['channel', 'kind', 'outcome'] as const,
    registers,
  }),
});

/** Queues that live in Temporal, counted when scraped. */
const queueGauges = (registers: Registers, { reviewQueues, agentQueues }: QueueCounters) => ({
  reviewQueue: new Gauge({
    name: 'arbiter_review_queue_size',
    help: 'Contracts of the task queue routed to human review and still open (counted at scrape time)',
    labelNames: ['task_queue'] as const,
    registers,
    // Collected when scraped, not pushed: the queue lives in Temporal, not in this process.
    async collect() {
      await Promise.all(
        [...reviewQueues].map(async ([taskQueue, count]) => {
          const n = await count();
          if (n === undefined) this.remove({ task_queue: taskQueue });
          else this.set({ task_queue: taskQueue }, n);
        }),
      );
    },
  }),
  agentBacklog: new Gauge({
    name: 'arbiter_agent_queue_backlog',
    help: 'Agent calls waiting in the task queue of an agent with limits (counted at scrape time)',
    labelNames: ['agent', 'queue'] as const,
    registers,
    async collect() {
      await Promise.all(
        [...agentQueues].map(async ([agent, { queue, count }]) => {
          const n = await count();
          if (n === undefined) this.remove({ agent, queue });
          else this.set({ agent, queue }, n);
        }),
      );
    },
  }),
});

export function createArbiterMetrics() {
  const registry = new Registry();
  const counters: QueueCounters = { reviewQueues: new Map(), agentQueues: new Map() };
  // process_cpu_seconds_total, process_resident_memory_bytes, nodejs_*: what `arbiter metrics` reads
  // as the worker's resource use.
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    ...decisionSeries(registers),
    ...agentSeries(registers),
    ...toolAndNotifySeries(registers),
    ...queueGauges(registers, counters),
    /** Task queues whose review queue this process reports, with how to count each. */
    reviewQueues: counters.reviewQueues,
    /** Limited agents whose queue backlog this process reports (their pools run here). */
    agentQueues: counters.agentQueues,
  };
}

export type ArbiterMetrics = ReturnType<typeof createArbiterMetrics>;

/** One state set per agent: exactly one of closed/open/half-open is 1. */
export function setCircuit(m: ArbiterMetrics, agent: string, state: string): void {
  for (const s of CIRCUITS) m.circuit.set({ agent, state: s }, s === state ? 1 : 0);
}

let shared: ArbiterMetrics | undefined;

/** The process's registry: created on first use, so a process that never serves metrics pays nothing. */
export function arbiterMetrics(): ArbiterMetrics {
  return (shared ??= createArbiterMetrics());
}
