// Activities over the agent ledgers (src/workflows/agentLedger.ts): record an attempt's outcome,
// read agents' snapshots, claim a probe through a half-open circuit. They talk to Temporal with
// the worker's own client (`Context.current().client`), so a worker needs no second connection;
// tests pass a client and task queue instead.
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { claimRoute, readSnapshot, recordOutcome } from '../governance/ledgers.js';
import type { AgentSnapshot } from '../shared/trust.js';
import { RecordOutcome } from '../shared/ledgerMessages.js';
import type { LedgerOptions } from '../shared/ledgerMessages.js';
import type { Deps } from './deps.js';

export interface LedgerLink {
  /** Defaults to the running activity's client. */
  client?: Client;
  /** Where ledgers run; defaults to the running activity's task queue (the worker's queue). */
  taskQueue?: string;
  /** Passed to a ledger when this call starts it (tests use a small `continueAfter`). */
  ledgerOptions?: LedgerOptions;
  /** How long a worker reuses a ledger reading for its decisions (default STANDING_TTL_MS). */
  standingsTtlMs?: number;
}

export const ledgerActivities = (_deps: Deps, link: LedgerLink = {}) => {
  const client = () => link.client ?? Context.current().client;
  const taskQueue = () => link.taskQueue ?? Context.current().info.taskQueue;
  return {
    /** Idempotent by `outcomeId`: a retried activity that signals twice counts once. */
    async recordAgentOutcome(req: RecordOutcome): Promise<void> {
      const parsed = RecordOutcome.safeParse(req);
      // A malformed outcome is a bug in the caller: retrying cannot fix it.
      if (!parsed.success) {
        throw ApplicationFailure.nonRetryable(`invalid outcome: ${parsed.error.message}`, 'BadOutcome');
      }
      await recordOutcome(client(), taskQueue(), parsed.data, link.ledgerOptions);
    },

    /** Snapshots in the order asked, as of the activity's clock (recorded in history). */
    async agentSnapshots(req: { agentIds: string[] }): Promise<AgentSnapshot[]> {
      const now = Date.now();
      return Promise.all(req.agentIds.map((id) => readSnapshot(client(), taskQueue(), id, now)));
    },

    /** Admission through the agent's circuit breaker; see `claimRoute`. */
    async claimCircuitProbe(req: { agentId: string; claimId: string }): Promise<boolean> {
      return claimRoute(client(), taskQueue(), req.agentId, req.claimId);
    },
  };
};
