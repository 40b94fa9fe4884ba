// `arbiter agents`: the registry as operators declared it (capabilities, clearance) next to what
// was measured (trust, success, latency, cost, circuit state), read from each agent's ledger, and
// where its calls run: its own limited queue (with the backlog waiting there), in-process, or the
// main queue.
import type { Client } from '@temporalio/client';
import { loadConfig } from '../../config/settings.js';
import type { AgentSnapshot } from '../../shared/trust.js';
import { placementOf, type Agent } from '../../shared/agent.js';
import { queueDepth, type QueueDepth } from '../../observability/queueDepth.js';
import { loadAgents } from '../../config/files.js';
import { withClient } from '../context.js';
import { printJson } from '../output.js';

export interface AgentReport {
  id: string;
  description: string;
  capabilities: Agent['capabilities'];
  clearance: Agent['clearance'];
  region?: string;
  endpoint: Agent['endpoint']['kind'];
  limits?: Agent['limits'];
  /**
   * Where calls run: `agent` (its own queue, `limits` apply), `in-process` (a local activity in the
   * contract's worker) or `main` (the shared task queue). `depth` is that queue's activity backlog.
   */
  queue: {
    placement: 'agent' | 'in-process' | 'main';
    name?: string;
    depth?: QueueDepth;
    depthError?: string;
  };
  /**
   * A2A agents: what their Agent Card says now (the agent's own claim, shown beside what was
   * measured), or why it could not be read.
   */
  card?: {
    name: string;
    version: string;
    protocol: string;
    service: string;
    skills: { id: string; name: string; tags: string[] }[];
  };
  cardError?: string;
  /** Absent when the ledger could not be read (see `unavailable`). */
  measured?: AgentSnapshot;
  unavailable?: string;
}

const pct = (x: number | null) => (x === null ? '-' : `${Math.round(x * 100)}%`);
const ms = (x: number | null) => (x === null ? '-' : `${x} ms`);

function circuitText(s: AgentSnapshot): string {
  const b = s.breaker;
  if (b.state === 'open') return `open until ${new Date(b.retryAt).toISOString()}`;
  if (b.state === 'half-open') return b.probe ? 'half-open (probe running)' : 'half-open (next call probes)';
  return 'closed';
}

function queueText(r: AgentReport): string {
  const q = r.queue;
  if (q.placement === 'in-process') return "in-process (local activity in the contract's worker)";
  const limits = r.limits
    ? ` [${[
        r.limits.maxConcurrent !== undefined ? `at most ${r.limits.maxConcurrent} at once per worker` : '',
        r.limits.perSecond !== undefined ? `${r.limits.perSecond}/s` : '',
      ]
        .filter(Boolean)
        .join(', ')}]`
    : ' (shared with the other steps)';
  const d = q.depth;
  const depth = d
    ? `backlog ${d.backlog}${d.backlog > 0 ? `, oldest waiting ${d.oldestWaitingSeconds.toFixed(1)} s` : ''}, ${d.pollers} poller${d.pollers === 1 ? '' : 's'}`
    : `backlog unknown (${q.depthError ?? 'not asked'})`;
  return `${q.name ?? '-'}${limits}: ${depth}`;
}

function reportLines(r: AgentReport): string[] {
  const lines = [`${r.id}  ${r.description}`];
  const roles = r.capabilities.roles.length ? `; roles ${r.capabilities.roles.join(', ')}` : '';
  lines.push(`  capabilities  ${r.capabilities.domains.join(', ')}${roles}`);
  lines.push(`  clearance     ${r.clearance}${r.region ? `, region ${r.region}` : ''} (${r.endpoint})`);
  lines.push(`  queue         ${queueText(r)}`);
  if (r.card) {
    const skills = r.card.skills.map((k) => `${k.id} (${k.name})`).join(', ') || 'none listed';
    lines.push(
      `  card          "${r.card.name}" ${r.card.version}, A2A ${r.card.protocol} at ${r.card.service}`,
    );
    lines.push(`  skills        ${skills}`);
  } else if (r.cardError) {
    lines.push(`  card          unavailable: ${r.cardError}`);
  }
  const m = r.measured;
  if (!m) {
    lines.push(`  measured      unavailable: ${r.unavailable ?? 'unknown'}`);
    return lines;
  }
  const s = m.stats;
  lines.push(
    `  trust         ${m.trust.toFixed(2)}${m.probation ? ' (probation)' : ''} from ${m.outcomes} outcome${m.outcomes === 1 ? '' : 's'}`,
  );
  lines.push(`  circuit       ${circuitText(m)}`);
  if (s.count > 0) {
    lines.push(`  success       ${pct(s.successRate)} (validated output ${pct(s.validatedRate)})`);
    lines.push(`  latency       p50 ${ms(s.latencyP50Ms)}, p95 ${ms(s.latencyP95Ms)}`);
    lines.push(`  mean cost     ${s.meanCostUsd === null ? '-' : `$${s.meanCostUsd.toFixed(4)}`}`);
  }
  for (const e of s.recentErrors) {
    lines.push(
      `  error         ${new Date(e.at).toISOString()} ${e.category}${e.error ? `: ${e.error}` : ''}`,
    );
  }
  return lines;
}

/** Where `agent`'s calls run and, for a task queue, how many wait there now. */
async function queueOf(client: Client, agent: Agent, taskQueue: string): Promise<AgentReport['queue']> {
  const placement = placementOf(agent, taskQueue);
  if (placement.inProcess) return { placement: 'in-process' };
  const name = placement.queue ?? taskQueue;
  const kind = placement.queue ? 'agent' : 'main';
  try {
    return { placement: kind, name, depth: await queueDepth(client, name) };
  } catch (err) {
    return { placement: kind, name, depthError: (err as Error).message.split('\n')[0] ?? '' };
  }
}

/** A2A agents' cards as they read now: the agent's own claim, shown beside what was measured. */
async function cardsOf(
  registry: readonly Agent[],
): Promise<Map<string, Pick<AgentReport, 'card' | 'cardError'>>> {
  if (!registry.some((a) => a.endpoint.kind === 'a2a')) return new Map();
  const { checkCards } = await import('../../agents/a2a/checkCards.js');
  return new Map(
    (await checkCards(registry)).map((c) => [
      c.agentId,
      c.info
        ? {
            card: {
              name: c.info.name,
              version: c.info.version,
              protocol: c.info.service.version,
              service: c.info.service.url,
              skills: c.info.skills.map((k) => ({ id: k.id, name: k.name, tags: k.tags })),
            },
          }
        : { cardError: c.error?.message ?? 'unknown' },
    ]),
  );
}

/** `arbiter agents [--json]`. */
export async function agents(opts: { json?: boolean }): Promise<void> {
  const config = loadConfig();
  const registry = loadAgents(config.agentsFile).agents;
  const cards = await cardsOf(registry);
  const reports = await withClient(async (arbiter) => {
    return Promise.all(
      registry.map(async (a): Promise<AgentReport> => {
        const base: AgentReport = {
          id: a.id,
          description: a.description,
          capabilities: a.capabilities,
          clearance: a.clearance,
          ...(a.region ? { region: a.region } : {}),
          endpoint: a.endpoint.kind,
          ...(a.limits ? { limits: a.limits } : {}),
          queue: await queueOf(arbiter.client, a, arbiter.config.taskQueue),
          ...cards.get(a.id),
        };
        try {
          const measured = await arbiter.agentSnapshot(a.id);
          return { ...base, measured };
        } catch (err) {
          const e = err as Error & { cause?: { message?: string } };
          const first = [e.message, e.cause?.message].filter(Boolean).join(': ').split('\n')[0] ?? '';
          // A ledger that exists but no worker answers for: say so instead of failing the list.
          return {
            ...base,
            unavailable: `no worker answered for its ledger; is \`arbiter worker\` running? (${first})`,
          };
        }
      }),
    );
  });
  if (opts.json) return printJson({ agentsFile: config.agentsFile, agents: reports });
  process.stdout.write(`${reports.map((r) => reportLines(r).join('\n')).join('\n\n')}\n`);
}
