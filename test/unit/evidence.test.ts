import { describe, expect, it } from 'vitest';
import { checkEvidence, spans } from '../../src/shared/evidence.js';

const contract = {
  title: 'Summarise public release notes',
  objective: 'Write a short public summary of the release notes of an open-source charting library.',
  acceptanceCriteria: ['Mentions the “breaking changes” first'],
};

describe('evidence check (no unsupported guesses)', () => {
  it('accepts quotes that appear in the contract, whatever their case, spacing or quote marks', () => {
    const { verified, rejected } = checkEvidence(
      ['release notes', 'Open-Source  CHARTING library', '"breaking changes"'],
      contract,
    );
    expect(verified).toEqual(['release notes', 'Open-Source  CHARTING library', '"breaking changes"']);
    expect(rejected).toEqual([]);
  });

  it('rejects quotes the contract does not contain: invented, paraphrased or reordered words', () => {
    const { verified, rejected } = checkEvidence(
      ['quarterly revenue', 'notes of the release', 'summary public short'],
      contract,
    );
    expect(verified).toEqual([]);
    expect(rejected).toHaveLength(3);
  });

  it('rejects a quote of filler words only, and a fragment of a word', () => {
    expect(checkEvidence(['of an', 'the', 'leas'], contract).verified).toEqual([]);
  });

  it('cuts the contract into quotable pieces of at least two words', () => {
    expect(
      spans({
        title: 'Ledger',
        objective: 'Close the books. Post accruals, then reconcile.',
        acceptanceCriteria: [],
      }),
    ).toEqual(['Close the books', 'Post accruals', 'then reconcile']);
  });
});
