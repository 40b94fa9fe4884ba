// Observability end to end on the real server: contracts run, then the real CLI exports and
// verifies the audit chain, reports metrics and ratings, and replays decisions under other policies.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchDecodedHistory } from '../../src/audit/source.js';
import { contractStateFromHistory } from '../../src/audit/fromHistory.js';
import { Arbiter } from '../../src/client.js';
import type { Config } from '../../src/config/settings.js';
import { loadContract } from '../../src/config/files.js';
import { arbiter, hasStackTrace } from '../support/cli.js';
import { policiesWith, repoFile, testConfig, withWorker } from '../support/temporal.js';

let config: Config;
let env: Record<string, string>;
let client: Arbiter;
let release: () => void;
let workerDone: Promise<unknown>;
const suffix = Date.now().toString(36);
/** Each CLI call is a fresh Node process; on a loaded machine a test of several calls takes a while. */
const SLOW = 240_000;
const succeededIds = ['a', 'b', 'c', 'd'].map((x) => `obs-${x}-${suffix}`);
const rejectedId = `obs-pii-${suffix}`;

beforeAll(async () => {
  config = testConfig();
  env = {
    TEMPORAL_ADDRESS: config.address!,
    TEMPORAL_TASK_QUEUE: config.taskQueue,
    ARBITER_DATA_DIR: config.dataDir,
  };
  // One worker for the whole file: the contracts run on it and `metrics` reads the agents' ledgers through it.
  workerDone = withWorker(config, () => new Promise<void>((resolve) => (release = resolve)));
  client = await Arbiter.connect(config);
  const analytics = loadContract(repoFile('examples/contracts/analytics-dashboard.yaml'));
  const pii = loadContract(repoFile('examples/contracts/patient-records.yaml'));
  await Promise.all([
    ...succeededIds.map((id) => client.submitContract({ ...analytics, id })),
    client.submitContract({ ...pii, id: rejectedId }),
  ]);
  const outcomes = await Promise.all([...succeededIds, rejectedId].map((id) => client.contractResult(id)));
  expect(outcomes.map((s) => s.outcome)).toEqual([
    'SUCCEEDED',
    'SUCCEEDED',
    'SUCCEEDED',
    'SUCCEEDED',
    'REJECTED',
  ]);
});

afterAll(async () => {
  release?.();
  await workerDone;
  await client?.close();
});

describe('audit export and verify', () => {
  it(
    'exports one chained line per closed contract, the same bytes each time, and verifies it',
    async () => {
      const file = join(config.dataDir, 'audit.jsonl');
      const exported = await arbiter(['audit', 'export', '--out', file], env);
      expect(exported.stderr).toContain(`wrote 5 records of task queue ${config.taskQueue}`);
      expect(exported.code).toBe(0);
      const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
      expect(lines).toHaveLength(5);
      const records = lines.map(
        (l) => JSON.parse(l) as { seq: number; workflowId: string; state: { outcome: string } },
      );
      expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(records.map((r) => r.workflowId).sort()).toEqual(
        [...succeededIds, rejectedId].map((id) => `contract/${id}`).sort(),
      );
      expect(records.find((r) => r.workflowId === `contract/${rejectedId}`)?.state.outcome).toBe('REJECTED');

      // The same period again: the same lines (stdout this time).
      const again = await arbiter(['audit-export'], env);
      expect(again.code).toBe(0);
      expect(again.stdout).toBe(readFileSync(file, 'utf8'));
      const recent = await arbiter(['audit', 'export', '--since', '1h'], env);
      expect(recent.stdout).toBe(again.stdout);
      const future = await arbiter(['audit', 'export', '--since', '2999-01-01T00:00:00Z'], env);
      expect(future.stdout).toBe('');

      const ok = await arbiter(['audit', 'verify', file], env);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/^ok: 5 records/);

      // One byte changed in line 3: the check fails there.
      const text = readFileSync(file, 'utf8');
      const start = text.split('\n').slice(0, 2).join('\n').length + 1;
      const at = text.indexOf('"title":"', start) + '"title":"'.length;
      const tampered = join(config.dataDir, 'tampered.jsonl');
      writeFileSync(tampered, `${text.slice(0, at)}X${text.slice(at + 1)}`);
      const bad = await arbiter(['audit-verify', tampered], env);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain(`${tampered}:3: hash mismatch`);
      expect(hasStackTrace(bad.stderr)).toBe(false);
    },
    SLOW,
  );

  it(
    'treats a missing file or one that is not an export as bad input',
    async () => {
      const missing = await arbiter(['audit', 'verify', join(config.dataDir, 'nope.jsonl')], env);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('nope.jsonl: no such file');
      const notExport = await arbiter(['audit', 'verify', repoFile('README.md')], env);
      expect(notExport.code).toBe(2);
      expect(notExport.stderr).toContain('README.md: not an audit export');
      const since = await arbiter(['audit', 'export', '--since', 'yesterday'], env);
      expect(since.code).toBe(2);
      expect(since.stderr).toContain('--since');
    },
    SLOW,
  );
});

describe('ratings and metrics', () => {
  it(
    'stores a rating for an existing contract and refuses a bad score or an unknown id',
    async () => {
      const bad = await arbiter(['rate', succeededIds[0]!, '--score', '6'], env);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--score');
      const unknown = await arbiter(['rate', `nobody-${suffix}`, '--score', '3'], env);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain(`no contract or plan with id "nobody-${suffix}"`);
      // The last rating of a contract wins.
      expect((await arbiter(['rate', succeededIds[0]!, '--score', '2'], env)).code).toBe(0);
      const rated = await arbiter(['rate', succeededIds[0]!, '--score', '4', '--comment', 'useful'], env);
      expect(rated.code).toBe(0);
      expect(rated.stdout).toContain(`rated contract/${succeededIds[0]}: 4/5 (useful)`);
    },
    SLOW,
  );

  it(
    'reports success rate, counts, compliance, completeness, trust and the rating for this queue',
    async () => {
      const r = await arbiter(['metrics', '--json'], env);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const m = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(m).toMatchObject({
        taskQueue: config.taskQueue,
        contracts: 5,
        outcomes: { SUCCEEDED: 4, REJECTED: 1, FAILED: 0, CANCELLED: 0 },
        successRate: 0.8,
        policyCompliance: { rate: 1, decided: 5 },
        auditCompleteness: { rate: 1 },
        userSatisfaction: { meanRating: 4, ratings: 1 },
        agentSatisfaction: { agents: 1 },
      });
      expect((m.policyCompliance as { versions: string[] }).versions).toHaveLength(1);
      expect((m.agentSatisfaction as { meanTrust: number }).meanTrust).toBeGreaterThan(0);
      const text = await arbiter(['metrics'], env);
      expect(text.stdout).toContain('success rate        80.0%');
    },
    SLOW,
  );
});

describe('policy what-if', () => {
  it(
    'lists the recorded contracts a stricter policy set would route differently',
    async () => {
      const stricter = policiesWith((file, text) =>
        file === 'data.cedar'
          ? `${text}\n@id("no-data-work")\n@route("REJECT")\n@explanation("What-if: no agent takes data work.")\nforbid (principal, action == Arbiter::Action::"execute", resource)\nwhen { resource.domain == "data" };\n`
          : text,
      );
      const r = await arbiter(['policy', 'what-if', stricter, '--last', '10'], env);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      for (const id of succeededIds)
        expect(r.stdout).toContain(`contract/${id}: AGENT -> REJECT [no-data-work]`);
      expect(r.stdout).not.toContain(rejectedId);
      expect(r.stdout).toContain('4 of 5 contracts would change route');

      // The shipped policies decide as recorded: nothing changes.
      const same = await arbiter(['policy', 'what-if', repoFile('policies'), '--json'], env);
      expect(JSON.parse(same.stdout)).toMatchObject({ considered: 5, changed: 0 });

      const invalid = policiesWith((file, text) => (file === 'data.cedar' ? `${text}\nforbid (oops` : text));
      const bad = await arbiter(['policy', 'what-if', invalid], env);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/data\.cedar:\d+/);
    },
    SLOW,
  );
});

describe('audit without a worker', () => {
  it(
    "reads a cancelled contract's trail from its history when no worker can answer a query",
    async () => {
      const other = testConfig();
      const c = await Arbiter.connect(other);
      try {
        const forecast = loadContract(repoFile('examples/contracts/quarterly-forecast.yaml'));
        const id = `obs-cancel-${suffix}`;
        await withWorker(other, async () => {
          await c.submitContract({ ...forecast, id });
          // Wait until it asks for review, then cancel it.
          await expect
            .poll(async () => (await c.contractStatus(id)).status, { timeout: 60_000, interval: 250 })
            .toBe('awaiting-review');
          await c.cancel(id, 'duplicate request', 'ops-lead');
          await c.contractResult(id).catch(() => undefined);
        });
        // No worker now: the history alone tells what happened.
        const handle = await c.resolve(id);
        const { state } = await contractStateFromHistory(
          await fetchDecodedHistory(handle),
          handle.workflowId,
          await c.workflowBundle(),
        );
        expect(state).toMatchObject({
          outcome: 'CANCELLED',
          status: 'cancelled',
          reason: 'cancelled by ops-lead: duplicate request',
          decision: { route: 'HUMAN_REVIEW' },
        });
        expect(state.trail.map((t) => t.step)).toContain('cancel');
      } finally {
        await c.close();
      }
    },
    SLOW,
  );
});
