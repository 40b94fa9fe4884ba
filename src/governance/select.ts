// Selection among the agents policy permits. Until outcomes are measured (trust ledger), agents
// are ranked by estimated cost, then by id, so the choice is deterministic and explainable.
import type { Agent } from '../shared/agent.js';
import type { Selection } from '../shared/decision.js';
import { parseDuration } from '../shared/duration.js';
import { estimatedCostUsd } from './policy.js';

export function selectAgent(permitted: readonly Agent[], preferred?: string): Selection {
  const scored = permitted
    .map((agent) => {
      const cost = estimatedCostUsd(agent);
      const score = Math.round((1 / (1 + cost)) * 1000) / 1000;
      return { agent, score, reasons: [`estimated cost $${cost.toFixed(4)} per call`] };
    })
    .sort((a, b) => b.score - a.score || a.agent.id.localeCompare(b.agent.id));
  if (preferred) {
    const i = scored.findIndex((s) => s.agent.id === preferred);
    if (i > 0) {
      const [pick] = scored.splice(i, 1);
      if (pick) scored.unshift({ ...pick, reasons: ['chosen by the reviewer', ...pick.reasons] });
    }
  }
  const [first, ...rest] = scored;
  return {
    agentId: first?.agent.id ?? null,
    fallbacks: rest.map((s) => s.agent.id),
    scores: scored.map((s) => ({ agentId: s.agent.id, score: s.score, reasons: s.reasons })),
    timeoutsMs: Object.fromEntries(scored.map((s) => [s.agent.id, parseDuration(s.agent.timeout) ?? 30_000])),
  };
}
