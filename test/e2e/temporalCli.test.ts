// Arbiter driven by Temporal's own CLI, as a user who never installed `arbiter` would: a malformed
// contract started with `temporal workflow start` fails at once, saying which field is wrong; a
// well-formed one runs; a review is answered with `temporal workflow signal` and `update execute`.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Arbiter } from '../../src/client.js';
import { temporalBin } from '../../src/embedded/temporalBin.js';
import { testConfig, withWorker } from '../support/temporal.js';

const config = testConfig();
const suffix = Date.now().toString(36);

function temporal(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(temporalBin(), [
      ...args,
      '--address',
      config.address!,
      '--namespace',
      config.namespace,
    ]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const start = (id: string, input: unknown) =>
  temporal([
    'workflow',
    'start',
    '--type',
    'contractWorkflow',
    '--task-queue',
    config.taskQueue,
    '--workflow-id',
    id,
    '--input',
    JSON.stringify(input),
  ]);

describe('the Temporal CLI as a client', () => {
  it('a malformed contract fails at once naming the field; a minimal valid one runs to its outcome', async () => {
    const arbiter = await Arbiter.connect(config);
    try {
      await withWorker(config, async () => {
        expect(
          (await start(`contract/cli-bad-${suffix}`, { contract: { id: 'cli-bad', title: 5 } })).code,
        ).toBe(0);
        const bad = await temporal(['workflow', 'result', '--workflow-id', `contract/cli-bad-${suffix}`]);
        expect(bad.stdout + bad.stderr).toContain('invalid contract workflow input');
        expect(bad.stdout + bad.stderr).toContain('contract.title');
        const described = await arbiter.client.workflow.getHandle(`contract/cli-bad-${suffix}`).describe();
        expect(described.status.name).toBe('FAILED');

        // Defaults (data class, lists) are filled in by the workflow, as `arbiter check` would.
        const ok = {
          contract: { id: 'cli-ok', title: 'Dashboard', objective: 'Engagement metrics dashboard.' },
        };
        expect((await start(`contract/cli-ok-${suffix}`, ok)).code).toBe(0);
        const state = await arbiter.contractResult(`contract/cli-ok-${suffix}`);
        expect(state.outcome).toBe('SUCCEEDED');
      });
    } finally {
      await arbiter.close();
    }
  });

  it('answers a review with `temporal workflow update execute`; an outsider is refused by the validator', async () => {
    const arbiter = await Arbiter.connect(config);
    const id = `contract/cli-review-${suffix}`;
    const input = {
      contract: {
        id: 'cli-review',
        title: 'Quarterly forecast',
        objective: 'Forecast revenue and budget for the next quarter.',
        review: 'always',
      },
    };
    try {
      await withWorker(config, async () => {
        expect((await start(id, input)).code).toBe(0);
        for (let i = 0; i < 150 && (await arbiter.contractStatus(id)).status !== 'awaiting-review'; i++) {
          await new Promise((r) => setTimeout(r, 200));
        }
        const update = (answer: object) =>
          temporal([
            'workflow',
            'update',
            'execute',
            '--workflow-id',
            id,
            '--name',
            'review',
            '--input',
            JSON.stringify(answer),
          ]);
        const outsider = await update({ decision: 'approve', reviewer: 'mallory' });
        expect(outsider.code).not.toBe(0);
        expect(outsider.stdout + outsider.stderr).toContain('mallory may not answer this review');
        expect((await update({ decision: 'approve', reviewer: 'alice', reason: 'ok' })).code).toBe(0);
        const state = await arbiter.contractResult(id);
        expect(state.review?.answer).toMatchObject({ reviewer: 'alice', via: 'update' });
        expect(state.outcome).toBe('SUCCEEDED');
      });
    } finally {
      await arbiter.close();
    }
  });
});
