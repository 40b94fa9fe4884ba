// The evaluation set's files (eval/classification/*.yaml, eval/generation/*.yaml): one schema per
// shape, and the step from an evaluation text to the Contract the classifier sees.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { Contract, DataClass } from '../src/shared/contract.js';
import { readDocument, validate } from '../src/config/files.js';

export const PARTS = ['dev', 'heldback', 'heldback2', 'heldback3', 'heldback4'] as const;
export type Part = (typeof PARTS)[number];

export const EvalText = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    /** A configured domain, or `unknown` for work that belongs to none. */
    expected: z.string().min(1),
    title: z.string().min(1),
    objective: z.string().min(1),
    criteria: z.array(z.string().min(1)).default([]),
    dataClass: DataClass.default('internal'),
    /** Why the text is there (a near-miss, a demo contract). */
    note: z.string().optional(),
  })
  .strict();
export type EvalText = z.infer<typeof EvalText>;
export const ClassificationSet = z.object({ texts: z.array(EvalText).min(1) }).strict();

export const MustCover = z
  .object({ name: z.string().min(1), any: z.array(z.string().min(1)).min(1) })
  .strict();
export type MustCover = z.infer<typeof MustCover>;
export const EvalRequest = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    request: z.string().min(1),
    /** The pieces of work a sensible plan for the request has. */
    mustCover: z.array(MustCover).min(1),
  })
  .strict();
export type EvalRequest = z.infer<typeof EvalRequest>;
export const GenerationSet = z.object({ requests: z.array(EvalRequest).min(1) }).strict();

const file = (kind: string, part: Part) => fileURLToPath(new URL(`./${kind}/${part}.yaml`, import.meta.url));

/** The parts a kind has (generation has no second held-back part). */
export function partsOf(kind: 'classification' | 'generation'): Part[] {
  return PARTS.filter((p) => existsSync(file(kind, p)));
}

export function loadTexts(part: Part): EvalText[] {
  const path = file('classification', part);
  return validate(ClassificationSet, readDocument(path), path, 'classification set').texts;
}

export function loadRequests(part: Part): EvalRequest[] {
  const path = file('generation', part);
  return validate(GenerationSet, readDocument(path), path, 'generation set').requests;
}

export function toContract(t: EvalText): Contract {
  return Contract.parse({
    id: t.id,
    title: t.title,
    objective: t.objective,
    acceptanceCriteria: t.criteria,
    constraints: { dataClass: t.dataClass },
  });
}
