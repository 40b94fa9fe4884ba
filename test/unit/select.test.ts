import { describe, expect, it } from 'vitest';
import { selectAgent } from '../../src/governance/select.js';
import { Agent } from '../../src/shared/agent.js';
import type { Standing } from '../../src/shared/decision.js';

const agent = (id: string, perCallUsd = 0) =>
  Agent.parse({
    id,
    description: id,
    capabilities: { domains: ['data'] },
    endpoint: { kind: 'builtin', name: 'report' },
    pricing: { perCallUsd },
  });
const standing = (agentId: string, trust: number, extra: Partial<Standing> = {}): Standing => ({
  agentId,
  trust,
  probation: false,
  routable: true,
  circuit: 'closed',
  ...extra,
});

describe('selection', () => {
  it('ranks by measured trust, then cost, then measured latency, then id', () => {
    const agents = [agent('a', 0.1), agent('b', 0), agent('c', 0), agent('d', 0), agent('e', 0)];
    const s = selectAgent(agents, [
      standing('a', 0.9),
      standing('b', 0.5, { latencyP50Ms: 900 }),
      standing('c', 0.5, { latencyP50Ms: 100 }),
      standing('d', 0.5),
      standing('e', 0.5, { latencyP50Ms: 100 }),
    ]);
    expect([s.agentId, ...s.fallbacks]).toEqual(['a', 'c', 'e', 'b', 'd']);
  });

  it('skips an agent whose circuit is open, saying so, and lets a reviewer pick among the rest', () => {
    const agents = [agent('a'), agent('b'), agent('c')];
    const standings = [
      standing('a', 0.9, { routable: false, circuit: 'open' }),
      standing('b', 0.5),
      standing('c', 0.4),
    ];
    const s = selectAgent(agents, standings, 'c');
    expect([s.agentId, ...s.fallbacks]).toEqual(['c', 'b']);
    expect(s.scores.find((x) => x.agentId === 'a')?.reasons).toContain('circuit open: skipped');
    expect(s.scores[0]?.reasons[0]).toBe('chosen by the reviewer');
  });

  it('treats agents with no measurements as unproven', () => {
    const s = selectAgent([agent('new'), agent('old')], [standing('old', 0.3)]);
    expect(s.agentId).toBe('old');
    expect(s.scores.find((x) => x.agentId === 'new')?.reasons[0]).toBe('trust 0.000 (probation)');
  });
});
