// The `arbiter` command end to end: real processes, the real dev server, a real worker.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client, Connection } from '@temporalio/client';
import type { Config } from '../../src/config/settings.js';
import { arbiter, hasStackTrace } from '../support/cli.js';
import { clientFor, repoFile, testConfig, withWorker } from '../support/temporal.js';

let config: Config;
let env: Record<string, string>;
let client: Client;
let connection: Connection;

beforeAll(async () => {
  config = testConfig();
  env = {
    TEMPORAL_ADDRESS: config.address!,
    TEMPORAL_TASK_QUEUE: config.taskQueue,
    ARBITER_DATA_DIR: config.dataDir,
  };
  ({ client, connection } = await clientFor(config));
});
afterAll(async () => {
  await connection.close();
});

const example = repoFile('examples/contracts/analytics-dashboard.yaml');

describe('arbiter CLI', () => {
  it('submit --wait --json prints the decision and outcome; status and audit show the same run', async () => {
    const id = `cli-${Date.now().toString(36)}`;
    await withWorker(config, async () => {
      const submit = await arbiter(['submit', '--file', example, '--id', id, '--wait', '--json'], env);
      expect(submit.stderr).toBe('');
      expect(submit.code).toBe(0);
      const result = JSON.parse(submit.stdout) as Record<string, unknown>;
      expect(result).toMatchObject({
        workflowId: `contract/${id}`,
        outcome: 'SUCCEEDED',
        started: true,
        classification: { domain: 'data' },
        decision: { route: 'AGENT', agentId: 'analyst', policyIds: ['capability-match'] },
      });

      const status = await arbiter(['status', id, '--json'], env);
      expect(status.code).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ workflowId: `contract/${id}`, outcome: 'SUCCEEDED' });

      const audit = await arbiter(['audit', `contract/${id}`], env);
      expect(audit.code).toBe(0);
      for (const step of ['classify', 'policy', 'select', 'execute', 'validate', 'outcome']) {
        expect(audit.stdout).toContain(step);
      }
      expect(audit.stdout).toContain('capability-match');
    });
  });

  it('starts one run for the same id submitted twice, even concurrently', async () => {
    const id = `twice-${Date.now().toString(36)}`;
    await withWorker(config, async () => {
      const runs = await Promise.all([
        arbiter(['submit', '--file', example, '--id', id, '--json'], env),
        arbiter(['submit', '--file', example, '--id', id, '--json'], env),
      ]);
      expect(runs.map((r) => r.code)).toEqual([0, 0]);
      const started = runs.map((r) => (JSON.parse(r.stdout) as { started: boolean }).started).sort();
      expect(started).toEqual([false, true]);
      const again = await arbiter(['submit', '--file', example, '--id', id, '--wait', '--json'], env);
      expect(JSON.parse(again.stdout)).toMatchObject({ started: false, outcome: 'SUCCEEDED' });
    });
    const listed = [];
    for await (const wf of client.workflow.list({ query: `WorkflowId = "contract/${id}"` })) listed.push(wf);
    expect(listed).toHaveLength(1);
  });

  it('gives exit 2 and a message naming file and field for a malformed contract, starting nothing', async () => {
    const bad = repoFile('test/fixtures/bad-types.yaml');
    const r = await arbiter(['submit', '--file', bad, '--wait'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(bad);
    expect(r.stderr).toContain('constraints.dataClass');
    expect(hasStackTrace(r.stderr)).toBe(false);
    const listed = [];
    for await (const wf of client.workflow.list({ query: `WorkflowId = "contract/bad-types"` }))
      listed.push(wf);
    expect(listed).toHaveLength(0);
  });

  it('check validates files and policy folders without starting anything', async () => {
    const ok = await arbiter(['check', example]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('valid contract');
    const agents = await arbiter(['check', repoFile('test/fixtures/forged-agents.yaml')]);
    expect(agents.code).toBe(2);
    expect(agents.stderr).toContain('agents[0].trust');
    const policies = await arbiter(['policy', 'check']);
    expect(policies.code).toBe(0);
    expect(policies.stdout).toContain('capability-match');
  });

  it('exits 3 with how to start Temporal when it is unreachable', async () => {
    const r = await arbiter(['status', 'anything'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('cannot reach Temporal at 127.0.0.1:1');
    expect(r.stderr).toContain('arbiter dev');
    expect(hasStackTrace(r.stderr)).toBe(false);
  });

  it('runs the client library example', async () => {
    const out = await withWorker(config, async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', repoFile('examples/client.ts')], {
        cwd: repoFile(''),
        env: { ...process.env, ...env },
      });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      const code = await new Promise<number | null>((r) => child.on('close', r));
      return { code, text };
    });
    expect(out.code).toBe(0);
    expect(out.text).toMatch(/SUCCEEDED: domain data, route AGENT, agent analyst/);
  });

  it('lists waiting reviews and answers them from the CLI, refusing mistakes', async () => {
    const file = repoFile('test/fixtures/needs-review.yaml');
    const a = `rev-a-${Date.now().toString(36)}`;
    const b = `rev-b-${Date.now().toString(36)}`;
    await withWorker(config, async () => {
      for (const id of [a, b])
        expect((await arbiter(['submit', '--file', file, '--id', id], env)).code).toBe(0);
      await expect
        .poll(
          async () => {
            const r = await arbiter(['reviews', '--json'], env);
            return (JSON.parse(r.stdout || '[]') as { workflowId: string }[]).map((x) => x.workflowId);
          },
          { timeout: 30_000, interval: 500 },
        )
        .toEqual(expect.arrayContaining([`contract/${a}`, `contract/${b}`]));
      const listing = await arbiter(['reviews'], env);
      expect(listing.stdout).toContain('review-requested');
      expect(listing.stdout).toContain('may answer: alice, bob, demo-reviewer');

      const outsider = await arbiter(['approve', a, '--as', 'mallory'], env);
      expect(outsider.code).toBe(2);
      expect(outsider.stderr).toContain('mallory may not answer this review');
      const noReason = await arbiter(['reject', a, '--as', 'bob'], env);
      expect(noReason.code).toBe(2);
      expect(noReason.stderr).toContain('reject needs --reason');
      const badAgent = await arbiter(['approve', a, '--as', 'alice', '--agent', 'gpt-writer'], env);
      expect(badAgent.code).toBe(2);
      expect(badAgent.stderr).toContain('policy does not permit agent "gpt-writer"');

      const approved = await arbiter(['approve', a, '--as', 'alice', '--reason', 'fine', '--json'], env);
      expect(approved.code).toBe(0);
      expect(JSON.parse(approved.stdout)).toMatchObject({ review: { answer: { reviewer: 'alice' } } });
      const rejected = await arbiter(['reject', b, '--as', 'bob', '--reason', 'out of scope'], env);
      expect(rejected.code).toBe(0);
      const finalB = await arbiter(['status', b, '--json'], env);
      expect(JSON.parse(finalB.stdout)).toMatchObject({
        outcome: 'REJECTED',
        reason: 'rejected by bob: out of scope',
      });
      const again = await arbiter(['approve', b, '--as', 'alice'], env);
      expect(again.code).toBe(2);
      expect(again.stderr).toContain('has ended');
    });
  }, 240_000);

  it('refuses a wrong id and unknown flags with exit 2', async () => {
    const missing = await arbiter(['status', 'no-such-contract'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no contract or plan with id "no-such-contract"');
    const review = await arbiter(['approve', 'no-such-contract'], env);
    expect(review.code).toBe(2);
    const flag = await arbiter(['submit', '--nope'], env);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("unknown option '--nope'");
  });
});
