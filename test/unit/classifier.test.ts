import { describe, expect, it } from 'vitest';
import { RuleClassifier } from '../../src/governance/classifier.js';
import { readDocument, validate } from '../../src/config/files.js';
import { RuleSet } from '../../src/shared/rules.js';
import { repoFile } from '../support/temporal.js';

const rules = validate(RuleSet, readDocument(repoFile('config/domains.yaml')), 'domains.yaml', 'rules');
const classifier = new RuleClassifier(rules);
const classify = (objective: string, title = 'Task') =>
  classifier.classify({ title, objective, acceptanceCriteria: [] });

describe('rule classifier', () => {
  it('picks the domain with the most evidence and says which rules fired', () => {
    const r = classify('Reconcile the invoice ledger and payroll before the tax filing');
    expect(r.domain).toBe('finance');
    expect(r.method).toBe('rules');
    expect(r.reasoning[0]).toContain('"invoice"');
    expect(r.confidence).toBeGreaterThan(0.8);
  });

  it('is less confident on one keyword than on several, and when a runner-up is close', () => {
    const one = classify('Check the invoice');
    const many = classify('Check the invoice, the ledger, the payroll and the tax');
    const contested = classify('Check the invoice in the analytics dashboard');
    expect(one.confidence).toBeLessThan(many.confidence);
    expect(contested.confidence).toBeLessThan(one.confidence + 0.01);
    expect(contested.reasoning.some((r) => r.startsWith('runner-up'))).toBe(true);
  });

  it('matches at word starts only, so "api" does not fire inside "capital"', () => {
    expect(classify('Raise capital').domain).toBe('unknown');
  });

  it('keeps words that mean other work out of a domain: terms of service, a sales pipeline', () => {
    expect(classify('Revise the terms of service for the new plans')).toMatchObject({ domain: 'legal' });
    expect(
      classify('Prepare the revenue forecast from the sales pipeline').reasoning.join(' '),
    ).not.toContain('data');
    expect(classify('Move the image service to Kubernetes').domain).toBe('engineering');
  });

  it('returns unknown with zero confidence when nothing matches', () => {
    expect(classify('Water the office plants')).toMatchObject({ domain: 'unknown', confidence: 0 });
  });

  it('is deterministic', () => {
    const text = 'Design the analytics dashboard for the marketing campaign';
    expect(classify(text)).toEqual(classify(text));
  });
});
