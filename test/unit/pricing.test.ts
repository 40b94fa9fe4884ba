import { describe, expect, it } from 'vitest';
import { costOf, PricingTable } from '../../src/shared/pricing.js';
import { readDocument, validate } from '../../src/config/files.js';
import { repoFile } from '../support/temporal.js';

describe('usage to cost', () => {
  const table = validate(
    PricingTable,
    readDocument(repoFile('config/pricing.yaml')),
    'pricing',
    'pricing table',
  );

  it('prices tokens per thousand, plus a per-call price, rounded to a millionth of a dollar', () => {
    const price = { inputPer1kTokensUsd: 0.00015, outputPer1kTokensUsd: 0.0006 };
    expect(costOf(price, { inputTokens: 2000, outputTokens: 500 })).toBe(0.0006);
    expect(costOf(price, { inputTokens: 1, outputTokens: 1 })).toBe(0.000001);
    expect(costOf(price, { inputTokens: 1000, outputTokens: 1000 }, 0.01)).toBe(0.01075);
  });

  it('costs nothing for an unpriced model and the local one', () => {
    expect(costOf(undefined, { inputTokens: 9999, outputTokens: 9999 })).toBe(0);
    expect(costOf(table.models['smollm2-135m-instruct'], { inputTokens: 500, outputTokens: 500 })).toBe(0);
    expect(costOf(table.models['gpt-4o-mini'], { inputTokens: 1000, outputTokens: 1000 })).toBe(0.00075);
  });

  it('refuses a pricing table with a negative price, naming the field', () => {
    const bad = PricingTable.safeParse({
      models: { m: { inputPer1kTokensUsd: -1, outputPer1kTokensUsd: 0 } },
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['models', 'm', 'inputPer1kTokensUsd']);
  });
});
