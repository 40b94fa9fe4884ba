// The governance steps a contract's workflow calls, with their timeouts and retries. They run as
// local activities: in-process and fast, recorded as markers in the history; a task queue round
// trip per step roughly doubled a contract's latency (docs/performance.md, "Levers"). Agents
// themselves run through agentCall.ts, which decides where each call runs.
import { proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';

const QUICK = {
  startToCloseTimeout: '10s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumAttempts: 5 },
} as const;

/** Classification may ask an LLM (bounded by ARBITER_CLASSIFY_TIMEOUT_MS, degrading to rules). */
export const { classify } = proxyLocalActivities<Activities>({ ...QUICK, startToCloseTimeout: '60s' });

export const { evaluatePolicy, selectAgent, validateOutput } = proxyLocalActivities<Activities>(QUICK);

/** The audit file is the record of last resort: retried longer than anything else. */
export const { recordAudit } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumAttempts: 10 },
});

/** Trust ledgers: a lost measurement is noted in the trail, never a reason to fail the work. */
export const { recordAgentOutcome, claimCircuitProbe } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '20s',
  retry: { initialInterval: '500ms', maximumAttempts: 3 },
});
