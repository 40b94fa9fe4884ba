// The reviewer groups and escalation chains file (config/reviewers.yaml, or ARBITER_REVIEWERS).
import { z } from 'zod';

export const ReviewersFile = z
  .object({
    groups: z.record(z.string().min(1), z.array(z.string().min(1)).min(1)),
    escalation: z.record(z.string().min(1), z.array(z.string().min(1)).min(1)),
  })
  .strict()
  .superRefine((file, ctx) => {
    if (!file.escalation.default) {
      ctx.addIssue({
        code: 'custom',
        path: ['escalation', 'default'],
        message: 'a default chain is required',
      });
    }
    for (const [name, chain] of Object.entries(file.escalation)) {
      chain.forEach((group, i) => {
        if (!file.groups[group]) {
          ctx.addIssue({
            code: 'custom',
            path: ['escalation', name, i],
            message: `unknown group "${group}"; define it under groups`,
          });
        }
      });
    }
  });
export type ReviewersFile = z.infer<typeof ReviewersFile>;

export interface ReviewLevel {
  group: string;
  members: string[];
}

/** The chain for a domain (or the default one), with each group's members. */
export function chainFor(file: ReviewersFile, domain: string): ReviewLevel[] {
  const chain = file.escalation[domain] ?? file.escalation.default ?? [];
  return chain.map((group) => ({ group, members: file.groups[group] ?? [] }));
}
