// The embedding judge's descriptions of each domain (config/domain-descriptions.yaml).
import { z } from 'zod';
import { readDocument, validate } from '../config/files.js';
import { badInput } from '../shared/errors.js';
import type { RuleSet } from '../shared/rules.js';

export const DomainDescriptions = z
  .object({
    /** Domains that need a clearer lead before the judge names them (regulated ones). */
    strict: z.array(z.string().min(1)).default([]),
    domains: z.record(z.string(), z.array(z.string().min(3)).min(1)),
    /** Work that belongs to no domain: closest to these, a contract stays `unknown`. */
    none: z.array(z.string().min(3)).min(1),
  })
  .strict();
export type DomainDescriptions = z.infer<typeof DomainDescriptions>;

/** Reads and checks the file against the rules: every described domain must be a configured one. */
export function loadDomainDescriptions(file: string, rules: RuleSet): DomainDescriptions {
  const d = validate(DomainDescriptions, readDocument(file), file, 'domain descriptions');
  const known = Object.keys(rules.domains);
  for (const name of [...Object.keys(d.domains), ...d.strict]) {
    if (!known.includes(name)) {
      throw badInput(
        `${file}: domain "${name}" is not in the classification rules (${known.join(', ')}); describe only configured domains`,
      );
    }
  }
  return d;
}
