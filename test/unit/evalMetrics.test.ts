import { describe, expect, it } from 'vitest';
import { planQuality, scoreClassification, type Judged } from '../../eval/metrics.js';
import { Plan } from '../../src/shared/contract.js';

const row = (expected: string, got: string, human = false, latencyMs = 10): Judged => ({
  expected,
  got,
  human,
  latencyMs,
  cpuMs: 5,
});

describe('evaluation measures', () => {
  it('scores accuracy, per-domain precision and recall, regulated false positives and the share for a person', () => {
    const r = scoreClassification(
      [
        row('finance', 'finance', true, 10),
        row('data', 'finance', true, 20),
        row('data', 'data', false, 30),
        row('unknown', 'unknown', true, 40),
      ],
      ['finance', 'data', 'unknown'],
      ['finance'],
    );
    expect(r.accuracy).toBe(0.75);
    expect(r.perDomain.finance).toEqual({ precision: 0.5, recall: 1, support: 1 });
    expect(r.perDomain.data).toEqual({ precision: 1, recall: 0.5, support: 2 });
    // Three texts are not finance; one of them was put in finance.
    expect(r.regulatedFp).toBe(1);
    expect(r.regulatedFpRate).toBeCloseTo(1 / 3);
    expect(r.humanShare).toBe(0.75);
    expect(r.p50LatencyMs).toBe(25);
    expect(r.cpuMsPerText).toBe(5);
  });

  it('judges a plan: repeated titles, the request restated, dependencies and must-cover items', () => {
    const plan = Plan.parse({
      id: 'p',
      title: 'P',
      contracts: [
        { id: 'collect', title: 'Collect posts', objective: 'Collect posts from the social APIs' },
        {
          id: 'metrics',
          title: 'Engagement metrics',
          objective: 'Compute metrics from the posts',
          dependsOn: ['collect'],
        },
        {
          id: 'report',
          title: 'Weekly report',
          objective: 'Email a summary to the team',
          dependsOn: ['collect'],
        },
      ],
    });
    const q = planQuality(plan, 'Build a social media analytics platform', [
      { name: 'collect', any: ['collect'] },
      { name: 'show', any: ['dashboard'] },
    ]);
    // "Weekly report" shares no word with "Collect posts": an unrelated dependency.
    expect(q).toEqual({
      contracts: 3,
      distinctTitles: true,
      repeatsRequest: false,
      dependenciesSane: false,
      coverage: 0.5,
    });
  });
});
