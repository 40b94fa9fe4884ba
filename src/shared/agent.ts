// The Agent registry file (SPEC §2). Trust is measured, never declared: a trust-like field is
// bad input with a message that says why, not a silently ignored key.
import { z } from 'zod';
import { DataClass, Duration, Slug } from './contract.js';

export const BUILTIN_AGENTS = [
  'report',
  'checklist',
  'reviewer',
  'picky-reviewer',
  'flaky',
  'failing',
  'invalid-output',
] as const;

const FORGED_FIELDS = ['trust', 'trustScore', 'score', 'successRate', 'reputation', 'rating'] as const;
const forged = Object.fromEntries(
  FORGED_FIELDS.map((f) => [
    f,
    z
      .never({
        error: `"${f}" cannot be declared: trust is measured from real outcomes; remove this field`,
      })
      .optional(),
  ]),
);

export const Endpoint = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('openai'),
      model: z.string().min(1),
      baseUrl: z.url().optional(),
      systemPrompt: z.string().min(1),
    })
    .strict(),
  z.object({ kind: z.literal('http'), url: z.url() }).strict(),
  z.object({ kind: z.literal('builtin'), name: z.enum(BUILTIN_AGENTS) }).strict(),
]);
export type Endpoint = z.infer<typeof Endpoint>;

export const Pricing = z
  .object({
    perCallUsd: z.number().nonnegative().default(0),
    inputPer1kTokensUsd: z.number().nonnegative().default(0),
    outputPer1kTokensUsd: z.number().nonnegative().default(0),
  })
  .strict();

export const Agent = z
  .object({
    id: Slug,
    description: z.string().min(1),
    capabilities: z
      .object({
        domains: z.array(z.string().min(1)).min(1),
        roles: z.array(z.string().min(1)).default([]),
      })
      .strict(),
    endpoint: Endpoint,
    pricing: Pricing.default({ perCallUsd: 0, inputPer1kTokensUsd: 0, outputPer1kTokensUsd: 0 }),
    timeout: Duration.default('30s'),
    clearance: DataClass.default('internal'),
    region: z.string().min(1).optional(),
    ...forged,
  })
  .strict();
export type Agent = z.infer<typeof Agent>;

export const AgentsFile = z
  .object({ agents: z.array(Agent).min(1) })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.agents.forEach((a, i) => {
      if (seen.has(a.id)) {
        ctx.addIssue({ code: 'custom', path: ['agents', i, 'id'], message: `duplicate agent id "${a.id}"` });
      }
      seen.add(a.id);
    });
  });
export type AgentsFile = z.infer<typeof AgentsFile>;
