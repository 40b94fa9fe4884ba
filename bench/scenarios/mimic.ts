// Levers of the contract's shape, measured with the contract mimic (bench/workflows.ts: S's happy
// path with the real activities and none of its search attributes, trail or handlers).
import { leversPart, measureLever, type LeverResult } from '../harness/levers.js';
import type { Scenario } from '../harness/scenario.js';
import { mimicWorkload } from '../harness/workloads.js';
import { contract } from './contract.js';

export const mimic: Scenario<LeverResult[]> = {
  key: 'mimic',
  run: async (bench, results) => {
    const S = results.get(contract);
    // S runs its steps as local activities (and the builtin agent in process); the mimic with every
    // step a regular activity is the shape S had before, so this row is what that lever bought.
    const regular = await measureLever(
      bench,
      'contract mimic, every step a regular activity (the shape before local steps)',
      mimicWorkload(bench, 'S-mimic, regular activities', 'none'),
      S,
    );
    // Batching trust updates: the mimic with and without its one ledger update bounds what any
    // batching of them could save (a batch still sends something).
    const local = await measureLever(
      bench,
      'contract mimic, every step local (no search attributes, trail or review handlers)',
      mimicWorkload(bench, 'S-mimic, local', 'all'),
      S,
    );
    const noLedger = await measureLever(
      bench,
      'the same mimic without its trust-ledger update (what batching updates could save at most)',
      mimicWorkload(bench, 'S-mimic, local, no ledger update', 'all', false),
      local.result,
    );
    return [regular, local, noLedger];
  },
  report: leversPart,
};
