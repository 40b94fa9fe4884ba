// Selection among the agents policy permits: by measured trust, then estimated cost, then measured
// median latency, then id, so the choice is deterministic and explainable. An agent whose
// circuit is open is skipped. Selection also decides where each call runs (placement), so the
// choice is recorded in the history with the rest of the decision.
import { placementOf, type Agent } from '../shared/agent.js';
import type { Selection, Standing } from '../shared/decision.js';
import { parseDuration } from '../shared/duration.js';
import { estimatedCostUsd } from './policy.js';

export function selectAgent(
  permitted: readonly Agent[],
  standings: readonly Standing[] = [],
  preferred?: string,
  /** The deployment's main task queue: agent queues are named under it. */
  taskQueue = 'arbiter',
): Selection {
  const standing = new Map(standings.map((s) => [s.agentId, s]));
  const scored = permitted
    .map((agent) => {
      const cost = estimatedCostUsd(agent);
      const s = standing.get(agent.id);
      const trust = s?.trust ?? 0;
      const reasons = [`trust ${trust.toFixed(3)}${s?.probation !== false ? ' (probation)' : ''}`];
      reasons.push(`estimated cost $${cost.toFixed(4)} per call`);
      const latency = s?.latencyP50Ms ?? null;
      if (latency !== null) reasons.push(`latency p50 ${latency} ms`);
      if (s && !s.routable) reasons.push(`circuit ${s.circuit}: skipped`);
      return {
        agent,
        trust,
        cost,
        // Unmeasured latency ranks after measured: evidence beats none.
        latency: latency ?? Number.POSITIVE_INFINITY,
        routable: s?.routable ?? true,
        circuit: s?.circuit ?? 'closed',
        reasons,
      };
    })
    .sort(
      (a, b) =>
        b.trust - a.trust ||
        a.cost - b.cost ||
        (a.latency === b.latency ? 0 : a.latency < b.latency ? -1 : 1) ||
        a.agent.id.localeCompare(b.agent.id),
    );
  if (preferred) {
    const i = scored.findIndex((s) => s.agent.id === preferred);
    if (i > 0) {
      const [pick] = scored.splice(i, 1);
      if (pick) scored.unshift({ ...pick, reasons: ['chosen by the reviewer', ...pick.reasons] });
    }
  }
  const usable = scored.filter((s) => s.routable);
  const [first, ...rest] = usable;
  return {
    agentId: first?.agent.id ?? null,
    fallbacks: rest.map((s) => s.agent.id),
    scores: scored.map((s) => ({
      agentId: s.agent.id,
      score: Math.round(s.trust * 1000) / 1000,
      reasons: s.reasons,
    })),
    timeoutsMs: Object.fromEntries(usable.map((s) => [s.agent.id, parseDuration(s.agent.timeout) ?? 30_000])),
    circuits: Object.fromEntries(usable.map((s) => [s.agent.id, s.circuit])),
    placement: Object.fromEntries(usable.map((s) => [s.agent.id, placementOf(s.agent, taskQueue)])),
  };
}
