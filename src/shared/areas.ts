// Enhancement areas (SPEC §2): a YAML list of areas that becomes a plan without any LLM, the
// same file always giving the same plan.
import { z } from 'zod';
import { Constraints, type Plan } from './contract.js';
import { uniqueSlugs, slugify } from './slug.js';

export { slugify, uniqueSlugs } from './slug.js';

export const PRIORITIES = ['critical', 'high', 'medium', 'low'] as const;

export const Area = z
  .object({
    name: z.string().min(1),
    description: z.string().min(1),
    priority: z.enum(PRIORITIES).default('medium'),
    dependsOn: z.array(z.string().min(1)).default([]),
    constraints: Constraints.optional(),
    acceptanceCriteria: z.array(z.string().min(1)).optional(),
  })
  .strict();

export const AreasFile = z
  .object({
    id: z.string().min(1).optional(),
    title: z.string().min(1).optional(),
    areas: z.array(Area).min(1),
  })
  .strict();
export type AreasFile = z.infer<typeof AreasFile>;

/**
 * Areas → plan input (validated by the Plan schema afterwards). Contracts keep file order within
 * a priority, higher priorities first; dependsOn may name an area by its name or its slug.
 */
export function areasToPlan(file: AreasFile, fallbackId: string): unknown {
  const ids = uniqueSlugs(file.areas.map((a) => a.name));
  const byName = new Map(
    file.areas.flatMap((a, i) => [[a.name, ids[i]!] as const, [ids[i]!, ids[i]!] as const]),
  );
  const ordered = file.areas
    .map((area, i) => ({ area, id: ids[i]!, i }))
    .sort((a, b) => PRIORITIES.indexOf(a.area.priority) - PRIORITIES.indexOf(b.area.priority) || a.i - b.i);
  const plan: Omit<Plan, 'strategy' | 'maxParallel' | 'contracts'> & { contracts: unknown[] } = {
    id: file.id ? slugify(file.id) : slugify(fallbackId),
    title: file.title ?? `Enhancement areas (${file.areas.length})`,
    contracts: ordered.map(({ area, id }) => ({
      id,
      title: area.name,
      objective: area.description,
      acceptanceCriteria: area.acceptanceCriteria ?? [`${area.name}: ${area.description}`],
      dependsOn: area.dependsOn.map((d) => byName.get(d) ?? d),
      ...(area.constraints ? { constraints: area.constraints } : {}),
    })),
  };
  return plan;
}
