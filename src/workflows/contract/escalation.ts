// No permitted agent delivered (or none was available): a person decides, never a silent failure.
// Used for a whole contract and for a pipeline stage alike. Approval retries the agent the reviewer
// picks (or the best permitted one) once.
import type { PolicyResult, Selection } from '../../shared/decision.js';
import { select, type Delivered } from './agents.js';
import { askPerson } from './review.js';
import type { ContractRun } from './run.js';

/** Asks a person; on approval runs `retry` once. Returns what was delivered, or why nothing was. */
export async function escalate(
  run: ContractRun,
  reason: string,
  decided: PolicyResult,
  retry: (selection: Selection) => Promise<Delivered | undefined>,
  stage?: string,
): Promise<Delivered | string> {
  run.record('escalated', { reason });
  const answer = await askPerson(run, {
    subject: 'escalation',
    why: [`escalation: ${reason}`],
    permitted: decided.permitted,
    decided,
  });
  if (answer.decision === 'reject') {
    return answer.via === 'timeout'
      ? `${reason}; the escalation timed out`
      : `${reason}; escalation rejected by ${answer.reviewer}: ${answer.reason ?? ''}`;
  }
  const again = await select(run, decided, {
    preferred: answer.agentId,
    retry: true,
    ...(stage ? { stage } : {}),
  });
  const pick = again.agentId ?? answer.agentId;
  if (!pick) return `${reason}; no agent to retry after approval`;
  const done = await retry({ ...again, agentId: pick, fallbacks: [] });
  return done ?? `${reason}; the retry approved by ${answer.reviewer} failed too`;
}
