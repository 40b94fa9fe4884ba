// The Contract and Plan schemas (SPEC §2): one zod definition each; types are inferred.
import { z } from 'zod';
import { parseDuration } from './duration.js';
import { graphProblems } from './graph.js';

export const Slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a slug: lowercase letters, digits and dashes, 1-63 long');

export const DATA_CLASSES = ['public', 'internal', 'confidential', 'pii'] as const;
export const DataClass = z.enum(DATA_CLASSES);
export type DataClass = z.infer<typeof DataClass>;

export const Duration = z
  .string()
  .refine((s) => parseDuration(s) !== undefined, 'must be a duration such as PT30M, P1D or 30s');

export const Constraints = z
  .object({
    dataClass: DataClass.default('internal'),
    budgetUsd: z.number().nonnegative().optional(),
    deadline: Duration.optional(),
    region: z.string().min(1).optional(),
  })
  .strict();

export const PipelineStage = z
  .object({
    id: Slug,
    role: z.string().min(1),
    instructions: z.string().optional(),
    after: z.array(Slug).default([]),
  })
  .strict();

/** The contract's fields, before cross-field checks: other schemas derive from these. */
export const ContractFields = z
  .object({
    id: Slug,
    title: z.string().min(1),
    objective: z.string().min(1),
    acceptanceCriteria: z.array(z.string().min(1)).default([]),
    inputs: z.json().optional(),
    outputSchema: z.record(z.string(), z.json()).optional(),
    constraints: Constraints.default({ dataClass: 'internal' }),
    dependsOn: z.array(Slug).default([]),
    pipeline: z.array(PipelineStage).min(1).optional(),
    review: z.literal('always').optional(),
  })
  .strict();

export const Contract = ContractFields.superRefine((contract, ctx) => {
  if (!contract.pipeline) return;
  const stages = contract.pipeline.map((s) => ({ id: s.id, dependsOn: s.after }));
  for (const p of graphProblems(stages)) {
    const where =
      p.kind === 'cycle' ? ['pipeline'] : ['pipeline', p.index, p.kind === 'duplicate' ? 'id' : 'after'];
    const message =
      p.kind === 'duplicate'
        ? `duplicate stage id "${p.id}"`
        : p.kind === 'dangling'
          ? `stage "${p.id}" comes after "${p.missing}", which is not a stage of this pipeline`
          : `stage cycle: ${p.ids.join(' -> ')}`;
    ctx.addIssue({ code: 'custom', path: where, message });
  }
});
export type Contract = z.infer<typeof Contract>;

/** What starts a contract's workflow: the contract, and what a plan adds to it. */
export const ContractInput = z
  .object({
    contract: Contract,
    planId: Slug.optional(),
    /** Prerequisite outputs (plans), passed to the agent as its input. */
    input: z.unknown().optional(),
    /**
     * Why a person must look before an agent runs, when a plan's routing says so (the `conditional`
     * strategy). It adds a review to a contract policy routes to AGENT; it never removes one.
     */
    requireReview: z.array(z.string()).optional(),
  })
  .strict();
export type ContractInput = z.infer<typeof ContractInput>;
/** What a client may send: defaults (data class, empty lists) are filled in by the workflow. */
export type ContractInputPayload = z.input<typeof ContractInput>;

export const STRATEGIES = ['dependency-aware', 'sequential', 'parallel', 'conditional'] as const;

export const Plan = z
  .object({
    id: Slug,
    title: z.string().min(1),
    strategy: z.enum(STRATEGIES).default('dependency-aware'),
    maxParallel: z.number().int().min(1).max(1000).default(8),
    contracts: z.array(Contract).min(1),
  })
  .strict()
  .superRefine((plan, ctx) => {
    if (plan.strategy === 'parallel') {
      plan.contracts.forEach((c, i) => {
        if (c.dependsOn.length > 0) {
          ctx.addIssue({
            code: 'custom',
            path: ['contracts', i, 'dependsOn'],
            message:
              'a parallel plan has no dependencies; use strategy dependency-aware to run in dependency order',
          });
        }
      });
    }
    for (const p of graphProblems(plan.contracts)) {
      if (p.kind === 'duplicate') {
        ctx.addIssue({
          code: 'custom',
          path: ['contracts', p.index, 'id'],
          message: `duplicate contract id "${p.id}"; ids must be unique in a plan`,
        });
      } else if (p.kind === 'dangling') {
        ctx.addIssue({
          code: 'custom',
          path: ['contracts', p.index, 'dependsOn'],
          message: `"${p.id}" depends on "${p.missing}", which is not a contract in this plan`,
        });
      } else {
        ctx.addIssue({
          code: 'custom',
          path: ['contracts'],
          message: `dependency cycle: ${p.ids.join(' -> ')}; remove one of these dependsOn edges`,
        });
      }
    }
  });
export type Plan = z.infer<typeof Plan>;
