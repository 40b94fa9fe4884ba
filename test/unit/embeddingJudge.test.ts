// The embedding judge's decisions, on hand-made vectors: which domain, which quote, when it
// refuses to guess. The real model is exercised in test/llm/classify.test.ts.
import { describe, expect, it } from 'vitest';
import { decide, STRICT_LEAD, type Prototype } from '../../src/governance/embeddingJudge.js';

// Axes: 0 finance, 1 engineering, 2 "no domain".
const prototypes: Prototype[] = [
  { domain: 'finance', sentence: 'Money matters', vector: [1, 0, 0] },
  { domain: 'engineering', sentence: 'Software work', vector: [0, 1, 0] },
  { domain: 'none', sentence: 'Office chores', vector: [0, 0, 1] },
];
const contract = {
  title: 'Fix the export bug',
  objective: 'Fix the crash in the CSV export, then add a test.',
  acceptanceCriteria: [],
};
const quotable = [
  { span: 'Fix the export bug', vector: [0.1, 0.9, 0] },
  { span: 'Fix the crash in the CSV export', vector: [0, 1, 0] },
  { span: 'then add a test', vector: [0.2, 0.5, 0.3] },
];

describe('embedding judge', () => {
  it('names the closest domain and quotes the part of the contract closest to it', () => {
    const out = decide(contract, [0.1, 0.8, 0.1], quotable, prototypes, ['finance']);
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.answer.domain).toBe('engineering');
    expect(out.answer.evidence).toEqual(['Fix the crash in the CSV export']);
    expect(out.answer.reasoning.join(' ')).toContain('"Software work"');
  });

  it('answers unknown when the text is closest to work that belongs to no domain', () => {
    const out = decide(contract, [0.1, 0.2, 0.9], quotable, prototypes, ['finance']);
    expect(out).toMatchObject({ ok: true, answer: { domain: 'unknown', evidence: [] } });
  });

  it('discards a strict (regulated) domain that leads only narrowly, saying by how much', () => {
    const lead = STRICT_LEAD / 2;
    const out = decide(contract, [0.6, 0.6 - lead, 0], quotable, prototypes, ['finance']);
    expect(out).toMatchObject({ ok: false, discarded: 'finance' });
    if (!out.ok) expect(out.message).toContain('leads by only');
    // The same narrow lead is enough for a domain that is not strict.
    expect(decide(contract, [0.6 - lead, 0.6, 0], quotable, prototypes, ['finance']).ok).toBe(true);
  });

  it('discards the answer when no part of the contract is close to the domain it names', () => {
    const far = quotable.map((q) => ({ ...q, vector: [0, 0, 1] }));
    const out = decide(contract, [0, 1, 0], far, prototypes, []);
    expect(out).toMatchObject({ ok: false, discarded: 'engineering' });
    if (!out.ok) expect(out.message).toContain('no part of the contract is close to engineering');
  });
});
