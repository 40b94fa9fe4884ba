// 100 contracts through one worker whose workflow cache holds 2: every task replays from history.
import { expect, it } from 'vitest';
import { manyContractsTinyCache } from '../../chaos/cases/cacheStress.js';
import { runCase } from './env.js';

it('100 contracts with a workflow cache of 2 all complete, with no non-determinism error', async () => {
  const report = await runCase(
    (env) =>
      manyContractsTinyCache(env, {
        contracts: 100,
        ...(env.workflowBundle ? { workflowBundle: env.workflowBundle } : {}),
      }),
    { inProcessWorkers: true },
  );
  expect(report.contractsLost).toBe(0);
  expect(report.figures['non-determinism failures']).toBe(0);
}, 300_000);
