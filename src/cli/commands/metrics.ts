// `arbiter metrics [--since T] [--json]`: throughput, latency, success, errors, policy compliance,
// audit completeness, agent and user satisfaction, cost and resource use over the task queue's
// closed contracts, plus the worker process's CPU and memory from its Prometheus endpoint.
import {
  computeMetrics,
  historyResources,
  metricsLines,
  workerResourcesFromExposition,
  type Metrics,
  type WorkerResources,
} from '../../audit/metrics.js';
import type { Config } from '../../config/settings.js';
import { readRatings } from '../../audit/ratings.js';
import { listClosedContracts, parseSince } from '../../audit/source.js';
import { withClient } from '../context.js';
import { printJson } from '../output.js';

/** Ledgers answer through a worker; without one, metrics still print, without agent trust. */
const LEDGER_DEADLINE_MS = 5_000;
/** A worker's /metrics answers at once or not at all: metrics never wait on it. */
const WORKER_DEADLINE_MS = 2_000;

/** The worker's process figures from its /metrics endpoint (this machine's, unless a URL is given). */
export async function workerResources(config: Config, url?: string): Promise<WorkerResources> {
  if (!url && !config.metrics) {
    return {
      url: '-',
      unavailable:
        'metrics endpoint off (ARBITER_METRICS_PORT=off); a worker serving metrics reports process_cpu_seconds_total and process_resident_memory_bytes at /metrics',
    };
  }
  const where = url ?? `http://localhost:${config.metrics!.port}/metrics`;
  try {
    const res = await fetch(where, { signal: AbortSignal.timeout(WORKER_DEADLINE_MS) });
    if (!res.ok) return { url: where, unavailable: `${where} answered ${res.status}` };
    return workerResourcesFromExposition(where, await res.text());
  } catch {
    return {
      url: where,
      unavailable: `no worker metrics at ${where} (is a worker running here? pass --worker-metrics URL for one elsewhere)`,
    };
  }
}

export type MetricsReport = Metrics & { taskQueue: string; ledgersUnavailable?: string };

export async function metrics(opts: { since?: string; workerMetrics?: string }): Promise<MetricsReport> {
  const since = opts.since !== undefined ? parseSince(opts.since) : undefined;
  return withClient(async (arbiter) => {
    const { client, config } = arbiter;
    const [closed, worker] = await Promise.all([
      // Histories too: events and activity executions per contract are read from them.
      listClosedContracts(client, config.taskQueue, arbiter.workflowBundle, {
        withHistory: true,
        ...(since ? { since } : {}),
      }),
      workerResources(config, opts.workerMetrics),
    ]);
    const contracts = closed.map(({ history, ...c }) => ({
      ...c,
      ...(history ? { resources: historyResources(history) } : {}),
    }));
    const agentIds = [...new Set(contracts.flatMap((c) => c.state.attempts.map((a) => a.agentId)))];
    let trust: Map<string, number> | undefined;
    let ledgersUnavailable: string | undefined;
    try {
      const snapshots = await Promise.all(
        agentIds.map((id) => arbiter.agentSnapshot(id, LEDGER_DEADLINE_MS)),
      );
      trust = new Map(snapshots.map((s) => [s.agentId, s.trust]));
    } catch (err) {
      trust = undefined;
      ledgersUnavailable = `agent ledgers did not answer (is a worker running?): ${(err as Error).message.split('\n')[0]}`;
    }
    const m = computeMetrics({
      contracts,
      ratings: readRatings(config.dataDir),
      ...(trust ? { trust } : {}),
      ...(since ? { since } : {}),
      worker,
    });
    return { taskQueue: config.taskQueue, ...m, ...(ledgersUnavailable ? { ledgersUnavailable } : {}) };
  });
}

/** `arbiter metrics [--since T] [--worker-metrics URL] [--json]`. */
export async function printMetrics(opts: {
  since?: string;
  workerMetrics?: string;
  json?: boolean;
}): Promise<void> {
  const m = await metrics(opts);
  if (opts.json) return printJson(m);
  const lines = metricsLines(m, m.taskQueue);
  if (m.ledgersUnavailable) lines.push(`  (${m.ledgersUnavailable}; start one with \`arbiter worker\`)`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
