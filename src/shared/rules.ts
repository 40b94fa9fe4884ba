// The classification rule file's schema (config/domains.yaml).
import { z } from 'zod';

export const RuleSet = z
  .object({
    threshold: z.number().min(0).max(1).default(0.6),
    domains: z.record(
      z.string().regex(/^[a-z][a-z0-9-]*$/, 'domain names are lowercase words'),
      z
        .object({
          keywords: z.array(z.string().min(1)).min(1),
          weight: z.number().positive().default(1),
        })
        .strict(),
    ),
  })
  .strict();
export type RuleSet = z.infer<typeof RuleSet>;
