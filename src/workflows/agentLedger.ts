// The agent ledger: one long-lived entity workflow per agent (`agent/<agentId>`) that holds the
// agent's measured outcomes and circuit breaker. Temporal makes it durable and single-writer, so
// trust and circuit state survive restarts and are the same for every worker (SPEC §5).
// Deterministic only: time is workflow time (`new Date()` is replay-safe here), the maths is pure.
import {
  allHandlersFinished,
  condition,
  makeContinueAsNewFunc,
  setHandler,
  sleep,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import {
  appendOutcome,
  breakerNext,
  claimProbe,
  CLOSED,
  DEFAULT_BREAKER_PARAMS,
  DEFAULT_TRUST_PARAMS,
  snapshotOf,
  type BreakerParams,
  type TrustParams,
} from '../shared/trust.js';
import {
  claimProbeUpdate,
  LedgerInput,
  RecordOutcome,
  type LedgerState,
  recordOutcomeSignal,
  SNAPSHOT_MEMO,
  snapshotQuery,
} from '../shared/ledgerMessages.js';
import { invalidPayload } from '../shared/problems.js';

const CONTINUE_AFTER = 1_000;
/** A ledger republishes its snapshot this often, so readers see trust fade and circuits cool. */
const REFRESH_SNAPSHOT = '1 hour';
/** Retried deliveries arrive close together; a window this long is ample for deduplication. */
const SEEN_KEPT = 2_000;

export async function agentLedgerWorkflow(payload: LedgerInput): Promise<void> {
  const parsed = LedgerInput.safeParse(payload);
  if (!parsed.success) throw invalidPayload('agent ledger input', parsed.error);
  const { agentId, options = {}, state: carried } = parsed.data;
  const trust: TrustParams = { ...DEFAULT_TRUST_PARAMS, ...options.trust };
  const breaker: BreakerParams = { ...DEFAULT_BREAKER_PARAMS, ...options.breaker };
  const continueAfter = options.continueAfter ?? CONTINUE_AFTER;
  const state: LedgerState = carried ?? { outcomes: [], breaker: CLOSED, seen: [], refused: 0 };
  const seen = new Set(state.seen);
  const now = () => new Date().getTime();
  let handled = 0;
  /** Outcomes and claims applied (what the published snapshot is compared against). */
  let changes = 0;

  setHandler(recordOutcomeSignal, (raw) => {
    handled += 1;
    const parsed = RecordOutcome.safeParse(raw);
    if (!parsed.success || parsed.data.agentId !== agentId) {
      state.refused += 1;
      return;
    }
    const { outcomeId, outcome } = parsed.data;
    if (seen.has(outcomeId)) return;
    seen.add(outcomeId);
    state.seen.push(outcomeId);
    if (state.seen.length > SEEN_KEPT) {
      for (const old of state.seen.splice(0, state.seen.length - SEEN_KEPT)) seen.delete(old);
    }
    state.outcomes = appendOutcome(state.outcomes, outcome, trust.maxOutcomes);
    changes += 1;
    // The breaker watches operational health (did the agent deliver valid output?), on the
    // ledger's own clock so late or skewed timestamps cannot hold a circuit open or shut.
    state.breaker = breakerNext(state.breaker, { kind: outcome.ok ? 'success' : 'failure' }, now(), breaker);
  });

  setHandler(snapshotQuery, (req) =>
    snapshotOf(agentId, state.outcomes, state.breaker, req?.now ?? now(), trust),
  );

  setHandler(
    claimProbeUpdate,
    ({ claimId }) => {
      handled += 1;
      const { granted, next } = claimProbe(state.breaker, claimId, now(), breaker);
      state.breaker = next;
      changes += 1;
      return granted;
    },
    {
      validator: ({ claimId }) => {
        if (typeof claimId !== 'string' || claimId === '')
          throw new Error('claimId must be a non-empty string');
      },
    },
  );

  const mustRoll = () => handled >= continueAfter || workflowInfo().continueAsNewSuggested;
  const snapshot = () => snapshotOf(agentId, state.outcomes, state.breaker, now(), trust);
  // Refresh the published snapshot now and then even when nothing new is recorded: trust fades
  // with time. One long-lived timer, not one per message (a timer per message cost two history
  // events for every outcome recorded).
  void (async () => {
    for (;;) {
      await sleep(REFRESH_SNAPSHOT);
      changes += 1;
    }
  })();
  // Publish the snapshot whenever it changed, at most once per workflow task.
  let published = -1;
  while (!mustRoll()) {
    if (published !== changes) {
      upsertMemo({ [SNAPSHOT_MEMO]: snapshot() });
      published = changes;
    }
    const seen = changes;
    await condition(() => changes !== seen || mustRoll());
  }
  await condition(allHandlersFinished);
  // The next run starts with the snapshot published, so readers never find a ledger without one.
  const next = makeContinueAsNewFunc<typeof agentLedgerWorkflow>({ memo: { [SNAPSHOT_MEMO]: snapshot() } });
  await next({ agentId, options, state });
}
