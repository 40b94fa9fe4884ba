// What the `arbiter` command tells a user about how a run ended: exit codes 1 (failed or rejected)
// and 4 (still waiting when --timeout gave up), `cancel` and `agents` as real processes, and plans
// refused before anything starts. Real processes, the shared dev server, an in-process worker.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowNotFoundError, type Client, type Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/settings.js';
import { arbiter, hasStackTrace } from '../support/cli.js';
import { agentsFile, clientFor, repoFile, testConfig, withWorker } from '../support/temporal.js';

let client: Client;
let connection: Connection;

beforeAll(async () => {
  ({ client, connection } = await clientFor(testConfig()));
});
afterAll(async () => {
  await connection.close();
});

const envOf = (config: Config): Record<string, string> => ({
  TEMPORAL_ADDRESS: config.address!,
  TEMPORAL_TASK_QUEUE: config.taskQueue,
  ARBITER_DATA_DIR: config.dataDir,
  ARBITER_AGENTS: config.agentsFile,
});
/** Each CLI call is a fresh Node process: on a loaded machine a test of several calls takes minutes. */
const SLOW = 300_000;
const unique = (id: string) => `${id}-${Date.now().toString(36)}`;
const needsReview = repoFile('test/fixtures/needs-review.yaml');

/** `arbiter status ID --json`, parsed. */
async function status(env: Record<string, string>, id: string): Promise<Record<string, unknown>> {
  const r = await arbiter(['status', id, '--json'], env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

describe('submit --wait exit codes', () => {
  it(
    'exits 4 when --timeout gives up while a review waits, and says where the contract stands',
    async () => {
      const config = testConfig();
      const env = envOf(config);
      const id = unique('wait-review');
      await withWorker(config, async () => {
        const first = await arbiter(
          ['submit', '--file', needsReview, '--id', id, '--wait', '--timeout', '5s'],
          env,
        );
        expect(first.code, first.stderr).toBe(4);
        expect(hasStackTrace(first.stderr)).toBe(false);
        await expect
          .poll(async () => (await status(env, id)).status, { timeout: 60_000, interval: 500 })
          .toBe('awaiting-review');
        // Waiting on it again gives up the same way, with the state it is in.
        const again = await arbiter(
          ['submit', '--file', needsReview, '--id', id, '--wait', '--timeout', '1s', '--json'],
          env,
        );
        expect(again.code, again.stderr).toBe(4);
        expect(JSON.parse(again.stdout)).toMatchObject({
          workflowId: `contract/${id}`,
          started: false,
          status: 'awaiting-review',
        });
        const text = await arbiter(
          ['submit', '--file', needsReview, '--id', id, '--wait', '--timeout', '1s'],
          env,
        );
        expect(text.code).toBe(4);
        expect(text.stdout).toContain(`contract/${id}`);
        expect(text.stdout).toContain('awaiting-review');
        await client.workflow.getHandle(`contract/${id}`).terminate('test done');
      });
    },
    SLOW,
  );

  it(
    'exits 1 for a contract policy rejects, printing the outcome and the reason',
    async () => {
      const config = testConfig();
      const id = unique('wait-rejected');
      const r = await withWorker(config, () =>
        arbiter(
          ['submit', '--file', repoFile('examples/contracts/patient-records.yaml'), '--id', id, '--wait'],
          envOf(config),
        ),
      );
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toContain(`contract/${id}`);
      expect(r.stdout).toMatch(/status\s+rejected \(REJECTED\): .*clearance/);
      expect(hasStackTrace(r.stderr)).toBe(false);
    },
    SLOW,
  );

  it(
    'exits 1 for a contract that FAILED, printing the reason',
    async () => {
      // A pipeline whose reviewer never approves fails once the send-backs are used up.
      const config = testConfig({
        agentsFile: agentsFile(`agents:
  - { id: scout, description: s, capabilities: { domains: [data, research], roles: [researcher, analyzer, writer] }, endpoint: { kind: builtin, name: report }, clearance: confidential }
  - { id: judge, description: j, capabilities: { domains: [data, research], roles: [reviewer] }, endpoint: { kind: builtin, name: stern-reviewer }, clearance: confidential }
`),
      });
      const id = unique('wait-failed');
      const r = await withWorker(config, () =>
        arbiter(
          [
            'submit',
            '--file',
            repoFile('examples/contracts/research-pipeline.yaml'),
            '--id',
            id,
            '--wait',
            '--json',
          ],
          envOf(config),
        ),
      );
      expect(r.code, r.stderr).toBe(1);
      expect(JSON.parse(r.stdout)).toMatchObject({
        workflowId: `contract/${id}`,
        outcome: 'FAILED',
        status: 'failed',
        reason: 'stage review: the reviewer rejected the work 3 times',
      });
    },
    SLOW,
  );
});

describe('cancel and agents as processes', () => {
  it(
    'cancel stops a contract waiting for review; its status names who cancelled and why',
    async () => {
      const config = testConfig();
      const env = envOf(config);
      const id = unique('cli-cancel');
      await withWorker(config, async () => {
        expect((await arbiter(['submit', '--file', needsReview, '--id', id], env)).code).toBe(0);
        await expect
          .poll(async () => (await status(env, id)).status, { timeout: 60_000, interval: 500 })
          .toBe('awaiting-review');
        const cancel = await arbiter(['cancel', id, '--reason', 'scope changed', '--as', 'carol'], env);
        expect(cancel.code, cancel.stderr).toBe(0);
        expect(cancel.stdout).toContain(`cancellation requested for ${id}`);
        await expect
          .poll(async () => status(env, id), { timeout: 60_000, interval: 500 })
          .toMatchObject({
            outcome: 'CANCELLED',
            status: 'cancelled',
            reason: 'cancelled by carol: scope changed',
          });
        const text = await arbiter(['status', id], env);
        expect(text.stdout).toContain('cancelled by carol: scope changed');
      });
      const missing = await arbiter(['cancel', unique('no-such-contract')], env);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('no contract or plan with id');
      expect(hasStackTrace(missing.stderr)).toBe(false);
    },
    SLOW,
  );

  it(
    'agents lists the registry with what was measured from the runs',
    async () => {
      const config = testConfig();
      const env = envOf(config);
      const file = repoFile('examples/contracts/analytics-dashboard.yaml');
      await withWorker(config, async () => {
        for (const id of [unique('agents-a'), unique('agents-b')]) {
          const r = await arbiter(['submit', '--file', file, '--id', id, '--wait'], env);
          expect(r.code, r.stderr).toBe(0);
        }
        // The ledger applies outcomes as it receives them: read until both are in.
        type Listed = {
          id: string;
          measured?: { outcomes: number; probation: boolean; stats: { successRate: number } };
        };
        const listed = async () => {
          const r = await arbiter(['agents', '--json'], env);
          expect(r.code, r.stderr).toBe(0);
          const doc = JSON.parse(r.stdout) as { agentsFile: string; agents: Listed[] };
          expect(doc.agentsFile).toBe(config.agentsFile);
          return doc.agents;
        };
        await expect
          .poll(async () => (await listed()).find((a) => a.id === 'analyst')?.measured?.outcomes, {
            timeout: 60_000,
            interval: 500,
          })
          .toBe(2);
        const agents = await listed();
        expect(agents.map((a) => a.id)).toEqual(['analyst', 'planner', 'editor', 'gpt-writer']);
        expect(agents.find((a) => a.id === 'analyst')?.measured).toMatchObject({
          probation: true,
          stats: { successRate: 1 },
        });
        expect(agents.find((a) => a.id === 'planner')?.measured?.outcomes).toBe(0);
        const text = await arbiter(['agents'], env);
        expect(text.code).toBe(0);
        expect(text.stdout).toMatch(/analyst .*\n(.*\n)*? {2}trust +\d\.\d\d \(probation\) from 2 outcomes/);
      });
    },
    SLOW,
  );
});

describe('plans refused before anything starts', () => {
  const plans: [string, string, string, string[]][] = [
    [
      'a dependency cycle',
      'contracts: dependency cycle: a -> c -> b -> a',
      `contracts:
  - { id: a, title: A, objective: first, dependsOn: [c] }
  - { id: b, title: B, objective: second, dependsOn: [a] }
  - { id: c, title: C, objective: third, dependsOn: [b] }`,
      ['a', 'b', 'c'],
    ],
    [
      'a dangling dependsOn',
      'contracts[1].dependsOn: "b" depends on "zz", which is not a contract in this plan',
      `contracts:
  - { id: a, title: A, objective: first }
  - { id: b, title: B, objective: second, dependsOn: [zz] }`,
      ['a', 'b'],
    ],
    [
      'duplicate contract ids',
      'contracts[1].id: duplicate contract id "a"',
      `contracts:
  - { id: a, title: A, objective: first }
  - { id: a, title: A again, objective: second }`,
      ['a'],
    ],
    [
      'a parallel plan with dependsOn',
      'contracts[1].dependsOn: a parallel plan has no dependencies',
      `strategy: parallel
contracts:
  - { id: a, title: A, objective: first }
  - { id: b, title: B, objective: second, dependsOn: [a] }`,
      ['a', 'b'],
    ],
  ];

  it.each(plans)(
    'refuses %s with exit 2 naming the field; no workflow exists',
    async (_what, message, body, ids) => {
      const config = testConfig();
      const planId = unique('refused');
      const file = join(mkdtempSync(join(tmpdir(), 'arbiter-plan-')), 'plan.yaml');
      writeFileSync(file, `id: ${planId}\ntitle: A plan with a mistake\n${body}\n`);
      // A worker is running: had anything been started, it would have run.
      const r = await withWorker(config, () => arbiter(['submit', '--file', file, '--wait'], envOf(config)));
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(file);
      expect(r.stderr).toContain(message);
      expect(hasStackTrace(r.stderr)).toBe(false);
      expect(r.stdout).toBe('');
      for (const workflowId of [`plan/${planId}`, ...ids.map((id) => `plan/${planId}/${id}`)]) {
        await expect(client.workflow.getHandle(workflowId).describe()).rejects.toThrow(WorkflowNotFoundError);
      }
    },
    SLOW,
  );
});
