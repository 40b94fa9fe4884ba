import { describe, expect, it } from 'vitest';
import { planProblems } from '../../src/llm/planQuality.js';

const item = (title: string, objective = `Do ${title}`) => ({ title, objective });
const plan = (...titles: string[]) => ({
  title: 'Plan',
  first: item(titles[0]!),
  next: titles.slice(1).map((t) => item(t)),
});
const request = 'Build a social media analytics platform';

describe('a generated plan reads like a plan', () => {
  it('passes distinct, specific contracts', () => {
    expect(
      planProblems(
        plan(
          'Collect posts from the platform APIs',
          'Compute engagement metrics',
          'Dashboard for the marketing team',
        ),
        request,
      ),
    ).toEqual([]);
  });

  it('names a title used several times', () => {
    expect(planProblems(plan('Data model', 'Data model', 'Data model'), request)).toContain(
      'the title "Data model" is used 3 times; give each contract its own',
    );
  });

  it('names a title that only restates the request', () => {
    const problems = planProblems(
      plan('Social media analytics platform', 'Ingest posts', 'Dashboard'),
      request,
    );
    expect(problems).toEqual([
      'the title "Social media analytics platform" only repeats the request; say which part of the work it is',
    ]);
  });

  it('names contracts copied from the example it was shown', () => {
    const example = plan('Find and lease a location', 'Fit out the shop');
    expect(
      planProblems(plan('Find and lease a location', 'Ingest posts', 'Dashboard'), request, example),
    ).toEqual(['"Find and lease a location" is copied from the example']);
  });

  it('names two contracts with the same objective', () => {
    const p = { title: 'P', first: item('Ingest posts', 'Build it'), next: [item('Dashboard', 'Build it')] };
    expect(planProblems(p, request)).toContain('two contracts have the same objective');
  });
});
