// The LLM pricing table (config/pricing.yaml, or ARBITER_PRICING) and the one cost formula.
import { z } from 'zod';

export const ModelPrice = z
  .object({
    inputPer1kTokensUsd: z.number().nonnegative(),
    outputPer1kTokensUsd: z.number().nonnegative(),
  })
  .strict();

export const PricingTable = z.object({ models: z.record(z.string().min(1), ModelPrice) }).strict();
export type PricingTable = z.infer<typeof PricingTable>;

/** Dollars for a call, rounded to a millionth; unknown models cost 0 (and say so elsewhere). */
export function costOf(
  price: z.infer<typeof ModelPrice> | undefined,
  usage: { inputTokens: number; outputTokens: number },
  perCallUsd = 0,
): number {
  const tokens = price
    ? (usage.inputTokens / 1000) * price.inputPer1kTokensUsd +
      (usage.outputTokens / 1000) * price.outputPer1kTokensUsd
    : 0;
  return Math.round((perCallUsd + tokens) * 1e6) / 1e6;
}
