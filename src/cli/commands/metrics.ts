// `arbiter metrics [--since T] [--json]`: throughput, latency, success, errors, policy compliance,
// audit completeness, agent and user satisfaction and cost over the task queue's closed contracts.
import type { Command } from 'commander';
import { readSnapshot } from '../../activities/ledger.js';
import { computeMetrics, metricsLines, type Metrics } from '../../audit/metrics.js';
import { readRatings } from '../../audit/ratings.js';
import { listClosedContracts, parseSince } from '../../audit/source.js';
import { withClient } from '../context.js';
import { printJson } from '../output.js';

/** Ledgers answer through a worker; without one, metrics still print, without agent trust. */
const LEDGER_DEADLINE_MS = 5_000;

export type MetricsReport = Metrics & { taskQueue: string; ledgersUnavailable?: string };

export async function metrics(opts: { since?: string }): Promise<MetricsReport> {
  const since = opts.since !== undefined ? parseSince(opts.since) : undefined;
  return withClient(async (arbiter) => {
    const { client, config } = arbiter;
    const contracts = await listClosedContracts(client, config.taskQueue, since ? { since } : {});
    const agentIds = [...new Set(contracts.flatMap((c) => c.state.attempts.map((a) => a.agentId)))];
    let trust: Map<string, number> | undefined;
    let ledgersUnavailable: string | undefined;
    try {
      const now = Date.now();
      const snapshots = await Promise.all(
        agentIds.map((id) => readSnapshot(client, config.taskQueue, id, now, LEDGER_DEADLINE_MS)),
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
    });
    return { taskQueue: config.taskQueue, ...m, ...(ledgersUnavailable ? { ledgersUnavailable } : {}) };
  });
}

export function registerMetrics(program: Command): void {
  program
    .command('metrics')
    .description(
      'throughput, latency, success rate, errors by category, policy compliance, audit completeness, satisfaction, cost',
    )
    .option('--since <time>', 'only contracts closed since an ISO time or a duration ago (24h, 7d)')
    .option('--json', 'print one JSON document')
    .action(async (opts: { since?: string; json?: boolean }) => {
      const m = await metrics(opts);
      if (opts.json) return printJson(m);
      const lines = metricsLines(m, m.taskQueue);
      if (m.ledgersUnavailable) lines.push(`  (${m.ledgersUnavailable}; start one with \`arbiter worker\`)`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
