// Checked-in histories must replay on the current workflow code: a change that would break
// running workflows fails here, before users see a non-determinism error.
import { readdirSync, readFileSync } from 'node:fs';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';

Runtime.install({ logger: new DefaultLogger('WARN') });

const dir = new URL('./histories/', import.meta.url).pathname;
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('replay', () => {
  it('has histories of every workflow type and contract path', () => {
    expect(files.sort()).toEqual([
      'agent-ledger-memo.json',
      'agent-ledger.json',
      'contract-fallback.json',
      'contract-local-steps.json',
      'contract-measured.json',
      'contract-pipeline-review.json',
      'contract-pipeline.json',
      'contract-rejected.json',
      'contract-review-approved.json',
      'contract-settle-together.json',
      'plan-cancelled.json',
      'plan-conditional.json',
      'plan-dependency-aware.json',
      'request-fallback.json',
    ]);
  });

  it.each(files)('%s replays without non-determinism', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(`${dir}${file}`, 'utf8')));
    await expect(
      Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, file),
    ).resolves.toBeUndefined();
  });
});
