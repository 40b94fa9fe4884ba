// Conditional plans' routing: the shipped plans.cedar with real Cedar, and the pure helpers the
// plan workflow uses to batch, order and summarise.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicySet, PolicyEngine, type PlanRoutingInput } from '../../src/governance/policy.js';
import { Agent } from '../../src/shared/agent.js';
import { Contract } from '../../src/shared/contract.js';
import type { Classification } from '../../src/shared/decision.js';
import { ArbiterError } from '../../src/shared/errors.js';
import {
  dependentsCount,
  progressOf,
  routingBatches,
  sequentialBlocked,
  type PlanState,
} from '../../src/shared/plan.js';
import { policiesWith, repoFile } from '../support/temporal.js';

const engine = new PolicyEngine(loadPolicySet(repoFile('policies')));
const cls = (domain: string): Classification => ({ domain, confidence: 0.9, reasoning: [], method: 'rules' });
const input = (
  constraints: Record<string, unknown> = {},
  domain = 'data',
  extra: Partial<PlanRoutingInput> = {},
): PlanRoutingInput => ({
  plan: { id: 'p', size: 3, maxParallel: 4 },
  contract: Contract.parse({ id: 'c', title: 't', objective: 'o', constraints }),
  classification: cls(domain),
  dependsOnCount: 0,
  dependentsCount: 0,
  hasPipeline: false,
  ...extra,
});

describe('plan routing policies', () => {
  it('runs known-domain work in parallel, naming the policy', () => {
    expect(engine.routeInPlan(input())).toEqual({
      mode: 'parallel',
      policyIds: ['plan-parallel'],
      explanation: [expect.stringContaining('plan-parallel: ') as unknown],
      policyVersion: engine.version,
      domain: 'data',
    });
  });

  it('runs budgeted and sensitive work in sequence, with what ruled out parallel', () => {
    expect(engine.routeInPlan(input({ budgetUsd: 1 }))).toMatchObject({
      mode: 'sequential',
      policyIds: ['plan-sequence', 'plan-budgeted-in-sequence'],
    });
    expect(engine.routeInPlan(input({ dataClass: 'confidential' }))).toMatchObject({
      mode: 'sequential',
      policyIds: ['plan-sequence', 'plan-sensitive-in-sequence'],
    });
  });

  it('sends big budgets to a person with the reason, and unknown work by default', () => {
    expect(engine.routeInPlan(input({ budgetUsd: 20 }))).toMatchObject({
      mode: 'human-review',
      policyIds: ['plan-large-budget'],
      explanation: ['plan-large-budget: A contract budgeted above $5 waits for a person before it starts.'],
    });
    expect(engine.routeInPlan(input({}, 'unknown'))).toMatchObject({
      mode: 'human-review',
      policyIds: [],
      explanation: [expect.stringContaining('a person decides') as unknown],
    });
  });

  it('does not change any contract decision: plan policies never fire for execute', () => {
    const withPlans = loadPolicySet(repoFile('policies'));
    const planIds = [...withPlans.meta.values()].filter((m) => m.appliesTo === 'plan').map((m) => m.id);
    expect(planIds.sort()).toEqual([
      'plan-budgeted-in-sequence',
      'plan-large-budget',
      'plan-parallel',
      'plan-sensitive-in-sequence',
      'plan-sequence',
    ]);
    const without = policiesWith((_f, t) => t);
    rmSync(join(without, 'plans.cedar'));
    const bare = new PolicyEngine(loadPolicySet(without));
    const agents = [
      Agent.parse({
        id: 'a',
        description: 'a',
        capabilities: { domains: ['data'] },
        endpoint: { kind: 'builtin', name: 'report' },
      }),
    ];
    for (const constraints of [{}, { budgetUsd: 20 }, { dataClass: 'confidential' }]) {
      const contract = Contract.parse({ id: 'c', title: 't', objective: 'o', constraints });
      const { policyVersion: _a, ...withDecision } = engine.evaluate({
        contract,
        classification: cls('data'),
        agents,
      });
      const { policyVersion: _b, ...bareDecision } = bare.evaluate({
        contract,
        classification: cls('data'),
        agents,
      });
      expect(withDecision).toEqual(bareDecision);
    }
    // Without plan policies nobody said how to run it: a person decides.
    expect(bare.routeInPlan(input())).toMatchObject({
      mode: 'human-review',
      explanation: [expect.stringContaining('has no plan-routing policies') as unknown],
    });
  });

  it('refuses a plan policy whose @route is not a plan mode, naming file and line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'arbiter-plan-pol-'));
    copyFileSync(repoFile('policies/schema.cedarschema'), join(dir, 'schema.cedarschema'));
    writeFileSync(
      join(dir, 'p.cedar'),
      '@id("fast")\n@route("AGENT")\n@explanation("x")\npermit (principal, action == Arbiter::Action::"runInParallel", resource);\n',
    );
    try {
      loadPolicySet(dir);
      throw new Error('expected POLICY_INVALID');
    } catch (err) {
      expect(err).toBeInstanceOf(ArbiterError);
      expect((err as ArbiterError).toUserText()).toMatch(
        /p\.cedar:1: plan-routing policy "fast" needs @route\("PARALLEL" \| "SEQUENTIAL" \| "HUMAN_REVIEW"\)/,
      );
    }
  });
});

describe('plan routing helpers', () => {
  it('counts direct dependents', () => {
    const counts = dependentsCount([
      { id: 'a', dependsOn: [] },
      { id: 'b', dependsOn: ['a'] },
      { id: 'c', dependsOn: ['a', 'b'] },
    ]);
    expect(Object.fromEntries(counts)).toEqual({ a: 2, b: 1 });
  });

  it('batches in order', () => {
    expect(routingBatches([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(routingBatches([], 2)).toEqual([]);
  });

  it('blocks the next sequential contract while one runs or waits for review', () => {
    const seq = {
      mode: 'sequential' as const,
      policyIds: [],
      explanation: [],
      policyVersion: 'v',
      domain: 'd',
    };
    const par = { ...seq, mode: 'parallel' as const };
    expect(sequentialBlocked([{ status: 'running', routing: par }])).toBe(false);
    expect(sequentialBlocked([{ status: 'succeeded', routing: seq }])).toBe(false);
    expect(sequentialBlocked([{ status: 'awaiting-review', routing: seq }])).toBe(true);
    expect(sequentialBlocked([{ status: 'running', routing: seq }])).toBe(true);
  });

  it('summarises progress as counts per status', () => {
    const state = {
      title: 'T',
      strategy: 'conditional',
      maxParallel: 2,
      costUsd: 0.5,
      runs: 1,
      nodes: [{ status: 'succeeded' }, { status: 'running' }, { status: 'succeeded' }],
    } as unknown as PlanState;
    expect(progressOf(state, 'now')).toEqual({
      title: 'T',
      strategy: 'conditional',
      maxParallel: 2,
      costUsd: 0.5,
      runs: 1,
      counts: { succeeded: 2, running: 1 },
      total: 3,
      at: 'now',
    });
  });
});
