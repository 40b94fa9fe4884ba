// Agents' standings as policy and selection see them, read from their ledgers through a short
// per-worker cache. Without it every decision queries every ledger, and under load the server
// refuses those queries (a ledger is a single workflow: its query buffer fills up). Trust moves
// slowly, so a reading a couple of seconds old decides the same way.
import type { Client } from '@temporalio/client';
import { freshSnapshot, type AgentSnapshot } from '../shared/trust.js';
import type { Standing } from '../shared/decision.js';
import { readStanding } from '../governance/ledgers.js';

/** How long one reading of a ledger is reused by the decisions of this worker. */
export const STANDING_TTL_MS = 2_000;
/** Well inside the policy step's own timeout, so a slow ledger cannot time the step out. */
const READ_DEADLINE_MS = 4_000;

interface Entry {
  at: number;
  snapshot: Promise<AgentSnapshot>;
  /** The last reading that succeeded, kept for when a fresh read fails. */
  last?: AgentSnapshot;
}

export class StandingsCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly ttlMs = STANDING_TTL_MS) {}

  async read(
    client: Client,
    taskQueue: string,
    agentIds: readonly string[],
    now: number,
  ): Promise<Standing[]> {
    const snapshots = await Promise.all(agentIds.map((id) => this.one(client, taskQueue, id, now)));
    return snapshots.map(({ snapshot: s, measured }) => ({
      agentId: s.agentId,
      trust: s.trust,
      probation: s.probation,
      routable: s.routable,
      circuit: s.breaker.state,
      latencyP50Ms: s.stats.latencyP50Ms,
      ...(measured ? {} : { unmeasured: true }),
    }));
  }

  private async one(client: Client, taskQueue: string, agentId: string, now: number) {
    const key = `${taskQueue}/${agentId}`;
    const cached = this.entries.get(key);
    if (!cached || now - cached.at >= this.ttlMs) {
      const entry: Entry = {
        at: now,
        snapshot: readStanding(client, taskQueue, agentId, now, READ_DEADLINE_MS),
        ...(cached?.last ? { last: cached.last } : {}),
      };
      this.entries.set(key, entry);
      entry.snapshot.then((s) => (entry.last = s)).catch(() => this.entries.delete(key));
    }
    const entry = this.entries.get(key)!;
    try {
      return { snapshot: await entry.snapshot, measured: true };
    } catch {
      // The ledger did not answer in time: decide on the last reading, or, with none, as for an
      // agent with no evidence at all (probation, no trust): unknown never means more access.
      return { snapshot: entry.last ?? cached?.last ?? freshSnapshot(agentId, now), measured: false };
    }
  }
}
