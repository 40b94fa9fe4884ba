// Answering a review while no worker runs: the CLI does not hang; it says why (exit 1), and the
// answer Temporal kept is applied once a worker runs again.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Arbiter } from '../../src/client.js';
import type { Config } from '../../src/config/settings.js';
import { loadContract } from '../../src/config/files.js';
import { arbiter, hasStackTrace } from '../support/cli.js';
import { repoFile, testConfig, withWorker } from '../support/temporal.js';

let config: Config;
let client: Arbiter;

beforeAll(async () => {
  config = testConfig();
  client = await Arbiter.connect(config);
});
afterAll(async () => {
  await client.close();
});

it('approve with no worker running exits 1 with what to do, and the answer lands when a worker runs', async () => {
  const id = `no-worker-${Date.now().toString(36)}`;
  const contract = loadContract(repoFile('examples/contracts/quarterly-forecast.yaml'));
  await withWorker(config, async () => {
    await client.submitContract({ ...contract, id });
    await expect
      .poll(async () => (await client.contractStatus(id)).status, { timeout: 30_000 })
      .toBe('awaiting-review');
  });
  // The worker is gone now.
  const out = await arbiter(['approve', id, '--as', 'alice', '--reason', 'numbers checked'], {
    TEMPORAL_ADDRESS: config.address!,
    TEMPORAL_TASK_QUEUE: config.taskQueue,
    ARBITER_DATA_DIR: config.dataDir,
    ARBITER_REVIEW_WAIT_MS: '3000',
  });
  expect(out.code).toBe(1);
  expect(out.stderr).toContain(`no worker took the review of contract/${id} within 3 s`);
  expect(out.stderr).toContain('npx arbiter worker');
  expect(hasStackTrace(out.stderr)).toBe(false);
  // With a worker back, the answer Temporal kept is validated and applied.
  const state = await withWorker(config, () => client.contractResult(id));
  expect(state.review?.answer).toMatchObject({ decision: 'approve', reviewer: 'alice', via: 'update' });
  expect(state.outcome).toBe('SUCCEEDED');
});
