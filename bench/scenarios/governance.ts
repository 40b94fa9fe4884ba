// In-process governance, per call and without Temporal: the rule classifier, and Cedar policy
// evaluation for the bench's one agent and for the repo's agents.yaml.
import { join } from 'node:path';
import { loadAgents } from '../../src/config/files.js';
import { loadPolicySet, PolicyEngine } from '../../src/governance/policy.js';
import type { Bench } from '../harness/bench.js';
import { log, repoRoot } from '../harness/settings.js';
import type { Scenario } from '../harness/scenario.js';
import { benchContract } from '../harness/workloads.js';
import { fmt, summarize, type Summary } from '../stats.js';

export type Micro = Summary & { perCallUs: number };

/** `n` calls of `fn` after a warm-up, each timed; also the mean over the whole loop. */
function microBench(n: number, fn: () => unknown): Micro {
  for (let i = 0; i < Math.min(1000, n); i++) fn();
  const samples: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    fn();
    samples.push(performance.now() - s);
  }
  const total = performance.now() - t0;
  return { ...summarize(samples), perCallUs: (total * 1000) / n };
}

function measureGovernance({ setup: { deps, config }, counts }: Bench) {
  const n = counts.micro;
  const contract = benchContract('micro');
  const classification = deps.classifier.classify(contract);
  const repoAgents = loadAgents(join(repoRoot, 'agents.yaml')).agents;
  const engine = new PolicyEngine(loadPolicySet(config.policiesDir));
  return {
    classification,
    classify: microBench(n, () => deps.classifier.classify(contract)),
    policyOneAgent: microBench(n, () =>
      deps.policy.evaluate({ contract, classification, agents: [...deps.agents.values()] }),
    ),
    policyRepoAgents: {
      agents: repoAgents.length,
      ...microBench(n, () => engine.evaluate({ contract, classification, agents: repoAgents })),
    },
  };
}

export type GovernanceResult = ReturnType<typeof measureGovernance>;

/** Mean per call, p50 and p99 of one timed call, all in µs. */
const microRow = (call: string, m: Micro) => [
  call,
  fmt(m.perCallUs),
  fmt(m.p50 * 1000, 1),
  fmt(m.p99 * 1000, 1),
];

export const governance: Scenario<GovernanceResult> = {
  key: 'governance',
  run: (bench) => {
    log('in-process governance');
    return Promise.resolve(measureGovernance(bench));
  },
  report: (g) => ({
    tables: [
      {
        id: 'governance',
        heading: 'In-process governance (per call)',
        columns: ['call', 'mean (µs)', 'p50 (µs)', 'p99 (µs)'],
        rows: [
          microRow('RuleClassifier.classify', g.classify),
          microRow('PolicyEngine.evaluate, 1 agent', g.policyOneAgent),
          microRow(
            `PolicyEngine.evaluate, ${g.policyRepoAgents.agents} agents (agents.yaml)`,
            g.policyRepoAgents,
          ),
        ],
      },
    ],
  }),
};
