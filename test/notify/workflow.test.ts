// Notifications from the contract workflow, end to end: real workers on the real Temporal dev server
// run contracts that wait for a person, and the notify activities they start reach real receivers on
// 127.0.0.1 — a webhook receiver that checks the HMAC signature itself, a Slack-shaped receiver and a
// real SMTP server. Tests never wait on a real-time window being short: they poll for what the
// receivers and the trail show, with generous deadlines, and their assertions do not depend on the
// order in which messages arrive. The two cases that must wait for a minute (a channel failing for a
// minute; a notification retried after its worker was killed, found only by its 60 s timeout) run
// concurrently with everything else here.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import {
  connectClient,
  ensureRuntime,
  killAllStartedWorkers,
  startPollingWorker,
  unique,
  type ChaosEnv,
} from '../../chaos/cases/harness.js';
import { Arbiter } from '../../src/client.js';
import type { Config } from '../../src/config/settings.js';
import { loadContract } from '../../src/config/files.js';
import { activityMetricsInterceptor } from '../../src/observability/activityMetrics.js';
import { createArbiterMetrics, type ArbiterMetrics } from '../../src/observability/arbiterMetrics.js';
import { Contract as ContractSchema, type Contract } from '../../src/shared/contract.js';
import { ArbiterError } from '../../src/shared/errors.js';
import type { ContractState, TrailEvent } from '../../src/shared/decision.js';
import { createWorker } from '../../src/worker.js';
import { arbiter as cli, type CliResult } from '../support/cli.js';
import {
  decodedBody,
  header,
  startHttpReceiver,
  startSmtpReceiver,
  type HttpReceiver,
  type SmtpReceiver,
} from '../support/notifyReceivers.js';
import { startFreezableProxy } from '../support/tcpProxy.js';
import { agentsFile, policiesWith, repoFile, testConfig } from '../support/temporal.js';

const HOOK_SECRET = `hook-${randomBytes(8).toString('hex')}`;
const SLACK_TOKEN = `slacktoken${randomBytes(8).toString('hex')}`;
const SMTP_USER = 'arbiter-mailer';
const SMTP_PASS = `smtp-${randomBytes(8).toString('hex')}`;
/** How long the failing channel answers 500: the "a channel returning 500 for a minute". */
const FAILING_FOR_MS = 60_000;
/** Deadlines for polling: far above what any step takes, so a loaded machine only makes it slower. */
const LONG = { timeout: 100_000, interval: 250 };
const LONGER = { timeout: 240_000, interval: 500 };

let hook: HttpReceiver;
let slack: HttpReceiver;
let smtp: SmtpReceiver;
let flaky: HttpReceiver;
let killHook: HttpReceiver;
/** What the failing channel answered, per request: the tests compare it with the trail and metrics. */
const flakyAnswers: { key: string; status: number }[] = [];
let reviewersFile: string;
let flakyReviewersFile: string;
const dir = mkdtempSync(join(tmpdir(), 'arbiter-notify-wf-'));

/** Finance, any data class: the builtin report agent does the work once a person approved it. */
const agents = agentsFile(`agents:
  - id: analyst
    description: notification test agent
    capabilities: { domains: [data, finance, health, research, general] }
    endpoint: { kind: builtin, name: report }
    clearance: pii
`);

beforeAll(async () => {
  [hook, slack, smtp, flaky, killHook] = await Promise.all([
    startHttpReceiver({ secret: HOOK_SECRET }),
    startHttpReceiver(),
    startSmtpReceiver(SMTP_USER, SMTP_PASS),
    startHttpReceiver({ secret: HOOK_SECRET }),
    startHttpReceiver({ secret: HOOK_SECRET }),
  ]);
  let failingSince: number | undefined;
  flaky.answer = (r) => {
    failingSince ??= Date.now();
    const status = Date.now() - failingSince < FAILING_FOR_MS ? 500 : 200;
    flakyAnswers.push({ key: String(r.headers['idempotency-key']), status });
    return { status, body: status === 200 ? 'ok' : 'down for maintenance' };
  };
  // Read by the in-process workers and inherited by the worker processes this file starts.
  Object.assign(process.env, {
    TEST_NOTIFY_HOOK_SECRET: HOOK_SECRET,
    TEST_NOTIFY_SLACK_URL: `${slack.url}/services/T000/B000/${SLACK_TOKEN}`,
    TEST_NOTIFY_COMPLIANCE_SLACK_URL: `${slack.url}/services/T000/B001/compliance`,
    TEST_NOTIFY_SMTP_HOST: '127.0.0.1',
    TEST_NOTIFY_SMTP_PORT: String(smtp.port),
    TEST_NOTIFY_SMTP_USER: SMTP_USER,
    TEST_NOTIFY_SMTP_PASSWORD: SMTP_PASS,
    ARBITER_METRICS_PORT: 'off',
  });
  const groups = `groups: { analysts: [alice, bob], finance-leads: [carol], compliance: [dave] }
escalation: { default: [analysts, compliance], finance: [analysts, finance-leads, compliance] }`;
  reviewersFile = join(dir, 'reviewers.yaml');
  writeFileSync(
    reviewersFile,
    `${groups}
channels:
  team-hook: { kind: webhook, url: "${hook.url}/arbiter", secretEnv: TEST_NOTIFY_HOOK_SECRET }
  team-slack: { kind: slack, urlEnv: TEST_NOTIFY_SLACK_URL }
  team-mail:
    kind: email
    hostEnv: TEST_NOTIFY_SMTP_HOST
    portEnv: TEST_NOTIFY_SMTP_PORT
    userEnv: TEST_NOTIFY_SMTP_USER
    passwordEnv: TEST_NOTIFY_SMTP_PASSWORD
    tls: none
    from: arbiter@example.com
    to: [alice@example.com, bob@example.com]
  leads-hook: { kind: webhook, url: "${hook.url}/leads", secretEnv: TEST_NOTIFY_HOOK_SECRET }
  compliance-slack: { kind: slack, urlEnv: TEST_NOTIFY_COMPLIANCE_SLACK_URL }
notify:
  analysts: [team-hook, team-slack, team-mail]
  finance-leads: [leads-hook]
  compliance: [compliance-slack]
`,
  );
  flakyReviewersFile = join(dir, 'reviewers-flaky.yaml');
  writeFileSync(
    flakyReviewersFile,
    `${groups}
channels:
  flaky-hook: { kind: webhook, url: "${flaky.url}/arbiter", secretEnv: TEST_NOTIFY_HOOK_SECRET }
notify: { analysts: [flaky-hook] }
`,
  );
  // The worker processes of the kill -9 case read it from their environment.
  const killReviewers = join(dir, 'reviewers-kill.yaml');
  writeFileSync(
    killReviewers,
    `${groups}
channels:
  kill-hook: { kind: webhook, url: "${killHook.url}/arbiter", secretEnv: TEST_NOTIFY_HOOK_SECRET }
notify: { analysts: [kill-hook] }
`,
  );
  process.env.ARBITER_REVIEWERS = killReviewers;
  ensureRuntime();
});

afterAll(async () => {
  await killAllStartedWorkers();
  await Promise.all([hook, slack, smtp, flaky, killHook].map((r) => r?.close()));
});

/** A real worker in this process (the production createWorker, the suite's workflow bundle). */
async function serve<T>(config: Config, fn: () => Promise<T>, metrics?: ArbiterMetrics): Promise<T> {
  const connection = await NativeConnection.connect({ address: config.address! });
  try {
    const worker = await createWorker(
      {
        config,
        workflowBundle: { codePath: inject('workflowBundlePath') },
        ...(metrics
          ? { options: { interceptors: { activity: [activityMetricsInterceptor(metrics)] } } }
          : {}),
      },
      connection,
    );
    return await worker.runUntil(fn);
  } finally {
    await connection.close();
  }
}

/**
 * The client, connected. Arbiter.connect gives up after 3 s (a user is told at once that nothing
 * answers); five cases starting together on a loaded machine may need longer, so it is asked again.
 */
async function connectArbiter(config: Config): Promise<Arbiter> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await Arbiter.connect(config);
    } catch (err) {
      if (!(err instanceof ArbiterError && err.code === 'TEMPORAL_UNREACHABLE') || Date.now() > deadline) {
        throw err;
      }
      await sleep(500);
    }
  }
}

/** The real `arbiter` command; asked again when it could not connect in its 3 s (exit 3), as above. */
async function arbiterCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  for (let i = 0; ; i++) {
    const result = await cli(args, env);
    if (result.code !== 3 || i >= 5) return result;
  }
}

/** A config of its own (task queue, data dir) for one case. */
const caseConfig = (over: Partial<Config> = {}): Config =>
  testConfig({ agentsFile: agents, reviewersFile, ...over });

/** Finance on weak evidence: policy "regulated-low-confidence" asks a person (chain: finance). */
const forecast = (id: string): Contract => ({
  ...loadContract(repoFile('examples/contracts/quarterly-forecast.yaml')),
  id,
});

const caseId = (name: string) => `notify-${name}-${Date.now().toString(36)}`;

/** One message a receiver got: which channel, which event, the raw text it carried. */
interface Told {
  channel: string;
  event: string;
  key: string;
  text: string;
}

/** The event in an idempotency key `<workflowId>:<runId>:review-<n>:<event>:<level>`. */
const eventOf = (key: string) => key.split(':')[3] ?? '?';

function httpTold(r: HttpReceiver, channelOf: (path: string) => string): Told[] {
  return r.received.map((m) => {
    const key = String(m.headers['idempotency-key']);
    return { channel: channelOf(m.path), event: eventOf(key), key, text: m.body };
  });
}

/** Everything the shared receivers got about one workflow. */
function toldAbout(workflowId: string): Told[] {
  const all = [
    ...httpTold(hook, (p) => (p === '/arbiter' ? 'team-hook' : p === '/leads' ? 'leads-hook' : p)),
    ...httpTold(slack, (p) =>
      p.endsWith(SLACK_TOKEN) ? 'team-slack' : p.endsWith('/compliance') ? 'compliance-slack' : p,
    ),
    ...smtp.received.map((m) => {
      const key = header(m.raw, 'X-Arbiter-Idempotency-Key') ?? '';
      return { channel: 'team-mail', event: eventOf(key), key, text: `${m.raw}\n${decodedBody(m.raw)}` };
    }),
  ];
  return all.filter((t) => t.key.startsWith(`${workflowId}:`));
}

/** channel -> the events it was told, sorted (a repeat shows as a doubled entry). */
function byChannel(told: Told[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const t of told) (out[t.channel] ??= []).push(t.event);
  for (const events of Object.values(out)) events.sort();
  return out;
}

const notifyEvents = (s: ContractState) =>
  s.trail.filter(
    (e): e is Extract<TrailEvent, { kind: 'notified' | 'notify-failed' }> =>
      e.kind === 'notified' || e.kind === 'notify-failed',
  );

async function awaitingReview(client: Arbiter, workflowId: string): Promise<ContractState> {
  for (let i = 0; ; i++) {
    const s = await client.contractStatus(workflowId);
    if (s.status === 'awaiting-review') return s;
    if (s.outcome || i > 1000) throw new Error(`${workflowId} never waited for review: ${s.status}`);
    await sleep(100);
  }
}

describe.concurrent('notifications from the contract workflow', () => {
  it('a review opened: each channel of the first group gets one review-opened, and after the answer one review-answered; arbiter audit shows who was told when, through which channel', async ({
    expect,
  }) => {
    const config = caseConfig();
    const client = await connectArbiter(config);
    try {
      await serve(config, async () => {
        const { workflowId } = await client.submitContract(forecast(caseId('open')));
        await expect
          .poll(() => byChannel(toldAbout(workflowId)), LONG)
          .toEqual({
            'team-hook': ['review-opened'],
            'team-slack': ['review-opened'],
            'team-mail': ['review-opened'],
          });
        const waiting = await client.contractStatus(workflowId);
        expect(waiting.status).toBe('awaiting-review');

        // What each channel carried: the reviewer's group, the commands, the link.
        const opened = toldAbout(workflowId);
        const webhook = hook.received.find(
          (m) => m.headers['idempotency-key'] === opened.find((t) => t.channel === 'team-hook')!.key,
        )!;
        expect(webhook.signatureOk).toBe(true);
        expect(JSON.parse(webhook.body)).toMatchObject({
          event: 'review-opened',
          possibleDuplicate: false,
          review: { workflowId, group: 'analysts', reviewers: ['alice', 'bob'], dataClass: 'internal' },
          links: { approve: `arbiter approve ${workflowId} --reason "..."` },
        });
        const slackText = opened.find((t) => t.channel === 'team-slack')!.text;
        expect(slackText).toContain(`arbiter approve ${workflowId}`);
        expect(slackText).toContain('regulated-low-confidence');
        const mail = smtp.received.find((m) => m.raw.includes(workflowId))!;
        expect(mail.to).toEqual(['alice@example.com', 'bob@example.com']);
        expect(header(mail.raw, 'Subject')).toBe('[Arbiter] Review needed: Quarterly revenue forecast');

        await client.review(workflowId, {
          decision: 'approve',
          reviewer: 'alice',
          reason: 'assumptions checked',
        });
        const done = await client.contractResult(workflowId);
        expect(done.outcome).toBe('SUCCEEDED');
        await expect
          .poll(() => byChannel(toldAbout(workflowId)), LONG)
          .toEqual({
            'team-hook': ['review-answered', 'review-opened'],
            'team-slack': ['review-answered', 'review-opened'],
            'team-mail': ['review-answered', 'review-opened'],
          });
        const answered = JSON.parse(
          hook.received.find(
            (m) =>
              String(m.headers['idempotency-key']).startsWith(`${workflowId}:`) &&
              m.body.includes('review-answered'),
          )!.body,
        ) as { review: { answer: unknown }; links: { approve: unknown } };
        expect(answered.review.answer).toEqual({
          decision: 'approve',
          reviewer: 'alice',
          reason: 'assumptions checked',
        });
        expect(answered.links.approve).toBeNull();

        // The trail: each message once, sent on the first attempt, in the notify step.
        const trail = notifyEvents(done);
        expect(trail.map((e) => `${e.data.event} ${e.data.channel} ${e.kind}`).sort()).toEqual(
          ['team-hook', 'team-mail', 'team-slack']
            .flatMap((c) => [`review-answered ${c} notified`, `review-opened ${c} notified`])
            .sort(),
        );
        for (const e of trail) expect(e.data).toMatchObject({ status: 'sent', attempt: 1 });

        // What a user reads: arbiter audit (and --json) with the workflow's id.
        const env = {
          TEMPORAL_ADDRESS: config.address!,
          TEMPORAL_TASK_QUEUE: config.taskQueue,
          ARBITER_DATA_DIR: config.dataDir,
        };
        const audit = await arbiterCli(['audit', workflowId], env);
        expect(audit.stderr).toBe('');
        expect(audit.code).toBe(0);
        const lines = audit.stdout.split('\n').filter((l) => / notify /.test(l));
        expect(lines).toHaveLength(6);
        const smtpTarget = `smtp://127.0.0.1:${smtp.port} to alice@example.com, bob@example.com`;
        for (const [event, channel, target] of [
          ['review-opened', 'team-hook', `webhook ${hook.url}/arbiter`],
          ['review-opened', 'team-slack', `slack ${slack.url} (URL from $TEST_NOTIFY_SLACK_URL)`],
          ['review-opened', 'team-mail', `email ${smtpTarget}`],
          ['review-answered', 'team-mail', `email ${smtpTarget}`],
        ] as const) {
          expect(
            lines.some(
              (l) =>
                /^ {2}\d{4}-\d\d-\d\dT\S+Z {2}notify {5}/.test(l) &&
                l.includes(`${event}: told ${channel} (${target})`),
            ),
          ).toBe(true);
        }
        // No secret in what a user sees: the Slack URL's token, the signing key, the SMTP password.
        for (const secret of [SLACK_TOKEN, HOOK_SECRET, SMTP_PASS])
          expect(audit.stdout).not.toContain(secret);
        const json = await arbiterCli(['audit', workflowId, '--json'], env);
        expect(json.code).toBe(0);
        const events = (JSON.parse(json.stdout) as ContractState).trail.filter((e) => e.step === 'notify');
        expect(events).toHaveLength(6);
        const slackOpened = events.find(
          (e) => e.kind === 'notified' && e.data.channel === 'team-slack' && e.data.event === 'review-opened',
        );
        expect(slackOpened?.data).toMatchObject({ kind: 'slack', status: 'sent', attempt: 1 });
        expect(Date.parse(slackOpened?.at ?? '')).toBeGreaterThan(Date.parse(waiting.trail[0]!.at));
      });
    } finally {
      await client.close();
    }
  });

  it("the deadline passes: the next group's channel gets review-escalated, and at the end of the chain every group asked gets review-timed-out", async ({
    expect,
  }) => {
    const policiesDir = policiesWith((_f, text) =>
      text.replaceAll('@reviewWithin("PT24H")', '@reviewWithin("PT3S")'),
    );
    const config = caseConfig({ policiesDir });
    const client = await connectArbiter(config);
    try {
      const done = await serve(config, async () => {
        const { workflowId } = await client.submitContract(forecast(caseId('escalate')));
        return client.contractResult(workflowId);
      });
      expect(done.outcome).toBe('REJECTED');
      expect(done.reason).toBe('review timed out');
      // Finance's chain: analysts, finance-leads, compliance; each level told once, each channel
      // told how it ended.
      const expected = {
        'team-hook': ['review-opened', 'review-timed-out'],
        'team-slack': ['review-opened', 'review-timed-out'],
        'team-mail': ['review-opened', 'review-timed-out'],
        'leads-hook': ['review-escalated', 'review-timed-out'],
        'compliance-slack': ['review-escalated', 'review-timed-out'],
      };
      await expect.poll(() => byChannel(toldAbout(done.workflowId)), LONG).toEqual(expected);
      const told = toldAbout(done.workflowId);
      const leads = JSON.parse(
        told.find((t) => t.channel === 'leads-hook' && t.event === 'review-escalated')!.text,
      ) as {
        text: string;
        review: { group: string; reviewers: string[] };
        links: { approve: string };
      };
      expect(leads.text).toBe('Review escalated to finance-leads: Quarterly revenue forecast');
      // Earlier groups may still answer after an escalation, so they are listed too.
      expect(leads.review).toMatchObject({ group: 'finance-leads', reviewers: ['alice', 'bob', 'carol'] });
      expect(leads.links.approve).toContain(done.workflowId);
      const compliance = told.find(
        (t) => t.channel === 'compliance-slack' && t.event === 'review-escalated',
      )!.text;
      expect(compliance).toContain('Review escalated to compliance');
      const timedOut = JSON.parse(
        told.find((t) => t.channel === 'team-hook' && t.event === 'review-timed-out')!.text,
      ) as {
        text: string;
        review: { answer: unknown };
      };
      expect(timedOut.text).toBe('Review timed out, rejected (the safe default): Quarterly revenue forecast');
      expect(timedOut.review.answer).toEqual({
        decision: 'reject',
        reviewer: 'system',
        reason: 'review timed out',
      });
      // The trail tells the same story, and nothing was still under way when the contract ended.
      const trail = notifyEvents(done);
      expect(trail.every((e) => e.kind === 'notified')).toBe(true);
      expect(
        byChannel(trail.map((e) => ({ channel: e.data.channel, event: e.data.event, key: '', text: '' }))),
      ).toEqual(expected);
      // Still until the end of the file's run: nothing more arrives later.
      expect(byChannel(toldAbout(done.workflowId))).toEqual(expected);
    } finally {
      await client.close();
    }
  });

  it("a pii contract's notifications carry none of its inputs, objective or criteria", async ({ expect }) => {
    const marker = `PIIMARK${randomBytes(6).toString('hex')}`;
    // The default policies keep new agents (on probation, no measured trust) away from pii work, so
    // no review could ever lead anywhere; here those two rules are off, so a person is asked.
    const policiesDir = policiesWith((file, text) =>
      file === 'data.cedar'
        ? text
            .replace('when { principal.probation && resource.dataClass > 1 };', 'when { false };')
            .replace(
              'when { resource.dataClass > 1 && principal.trust.lessThan(decimal("0.6")) };',
              'when { false };',
            )
        : text,
    );
    const config = caseConfig({ policiesDir });
    const client = await connectArbiter(config);
    try {
      await serve(config, async () => {
        const { workflowId } = await client.submitContract(
          ContractSchema.parse({
            id: caseId('pii'),
            title: 'Patient intake summary',
            objective: `Summarise the intake notes of patient ${marker}.`,
            acceptanceCriteria: [`Names ${marker}'s allergies`],
            inputs: { patient: { name: `Jane ${marker}`, notes: [`allergic to ${marker}`] }, mrn: marker },
            constraints: { dataClass: 'pii' },
            review: 'always',
          }),
        );
        await expect
          .poll(() => byChannel(toldAbout(workflowId)), LONG)
          .toEqual({
            'team-hook': ['review-opened'],
            'team-slack': ['review-opened'],
            'team-mail': ['review-opened'],
          });
        await client.review(workflowId, { decision: 'approve', reviewer: 'bob', reason: 'consent on file' });
        const done = await client.contractResult(workflowId);
        expect(done.outcome).toBe('SUCCEEDED');
        await expect.poll(() => toldAbout(workflowId).length, LONG).toBe(6);
        const told = toldAbout(workflowId);
        // The messages are about this pii review …
        expect(JSON.parse(told.find((t) => t.channel === 'team-hook')!.text)).toMatchObject({
          review: { dataClass: 'pii', title: 'Patient intake summary' },
        });
        // … and none of them carries the data, which the run itself did carry.
        for (const t of told) expect(t.text).not.toContain(marker);
        expect(JSON.stringify(done.output)).toContain(marker);
      });
    } finally {
      await client.close();
    }
  });

  it('a channel returning 500 for a minute: retried (the receiver sees each attempt), the review and the contract go on, the trail says on which attempt it was sent; Prometheus counts each attempt by channel and outcome', async ({
    expect,
  }) => {
    const metrics = createArbiterMetrics();
    const config = caseConfig({ reviewersFile: flakyReviewersFile });
    const client = await connectArbiter(config);
    const keysOf = (workflowId: string) => flakyAnswers.filter((a) => a.key.startsWith(`${workflowId}:`));
    try {
      await serve(
        config,
        async () => {
          const patient = await client.submitContract(forecast(caseId('flaky-wait')));
          const hurried = await client.submitContract(forecast(caseId('flaky-now')));

          // Answered while its channel is down: the contract does not wait for the notification.
          await expect.poll(() => keysOf(hurried.workflowId).length, LONG).toBeGreaterThan(0);
          await client.review(hurried.workflowId, { decision: 'approve', reviewer: 'bob', reason: 'go' });
          const hurriedDone = await client.contractResult(hurried.workflowId);
          expect(hurriedDone.outcome).toBe('SUCCEEDED');
          const pending = notifyEvents(hurriedDone);
          expect(pending.map((e) => `${e.kind} ${e.data.event}`).sort()).toEqual([
            'notify-failed review-answered',
            'notify-failed review-opened',
          ]);
          for (const e of pending) {
            expect(e.summary).toMatch(
              /^review-(opened|answered): flaky-hook not told yet when the contract ended/,
            );
          }

          // Left waiting: the review stays open while the channel fails, until it is told.
          const opened = (e: TrailEvent) => e.kind === 'notified' && e.data.event === 'review-opened';
          await expect
            .poll(async () => (await client.contractStatus(patient.workflowId)).trail.some(opened), LONGER)
            .toBe(true);
          const state = await client.contractStatus(patient.workflowId);
          expect(state.status).toBe('awaiting-review');
          const attempts = keysOf(patient.workflowId).filter((a) => eventOf(a.key) === 'review-opened');
          expect(attempts.length).toBeGreaterThan(2);
          expect(attempts.map((a) => a.status)).toEqual([...attempts.slice(1).map(() => 500), 200]);
          const told = state.trail.find(opened) as Extract<TrailEvent, { kind: 'notified' }>;
          expect(told.data).toMatchObject({
            channel: 'flaky-hook',
            status: 'sent',
            attempt: attempts.length,
          });
          expect(told.summary).toBe(
            `review-opened: told flaky-hook (webhook ${flaky.url}/arbiter) on attempt ${attempts.length}`,
          );

          await client.review(patient.workflowId, {
            decision: 'approve',
            reviewer: 'alice',
            reason: 'checked',
          });
          const done = await client.contractResult(patient.workflowId);
          expect(done.outcome).toBe('SUCCEEDED');
          expect(
            notifyEvents(done).map(
              (e) => `${e.kind} ${e.data.event} ${'attempt' in e.data ? e.data.attempt : '-'}`,
            ),
          ).toEqual([`notified review-opened ${attempts.length}`, 'notified review-answered 1']);
        },
        metrics,
      );
      // Every attempt the receiver answered, counted by how it ended.
      const text = await metrics.registry.metrics();
      const count = (outcome: string) =>
        Number(
          new RegExp(
            `^arbiter_notifications_total\\{channel="flaky-hook",kind="webhook",outcome="${outcome}"\\} (\\d+)$`,
            'm',
          ).exec(text)?.[1] ?? 0,
        );
      expect(count('failed')).toBe(flakyAnswers.filter((a) => a.status === 500).length);
      expect(count('sent')).toBe(flakyAnswers.filter((a) => a.status === 200).length);
      expect(count('sent')).toBe(2);
    } finally {
      await client.close();
    }
  });

  it('kill -9 of the worker right after a send: the replacement worker (same ARBITER_DATA_DIR) finds the sent record and the receiver gets no duplicate', async ({
    expect,
  }) => {
    const address = inject('temporalAddress');
    const env: ChaosEnv = { address, log: () => undefined };
    // Worker A reaches the server through a proxy the test freezes the moment the receiver has the
    // message: A can finish its send and write its record, but never report it, and dies.
    const proxy = await startFreezableProxy(address);
    const taskQueue = unique('notify-kill');
    const dataDir = mkdtempSync(join(tmpdir(), 'arbiter-notify-kill-'));
    const sentDir = join(dataDir, 'notify', 'sent');
    const { client, connection } = await connectClient(env);
    const arbiter = await connectArbiter(testConfig({ taskQueue }));
    killHook.answer = () => {
      proxy.freeze();
      return { status: 200, body: 'ok' };
    };
    try {
      const a = await startPollingWorker({ ...env, address: proxy.address }, client, {
        taskQueue,
        agentsFile: agents,
        dataDir,
      });
      const { workflowId } = await arbiter.submitContract(forecast(caseId('kill')));
      await expect.poll(() => killHook.received.length, LONG).toBe(1);
      // The record is on disk: now the worker dies before Temporal hears that the send succeeded.
      await expect.poll(() => readdirSync(sentDir).filter((f) => f.endsWith('.json')).length, LONG).toBe(1);
      a.kill('SIGKILL');
      expect((await a.exited).signal).toBe('SIGKILL');
      await proxy.close();
      killHook.answer = undefined;

      const b = await startPollingWorker(env, client, { taskQueue, agentsFile: agents, dataDir });
      // Temporal retries the attempt once its start-to-close timeout (60 s) has passed.
      const retried = (e: TrailEvent) => e.kind === 'notified' && e.data.event === 'review-opened';
      await expect
        .poll(async () => (await arbiter.contractStatus(workflowId)).trail.some(retried), LONGER)
        .toBe(true);
      const state = await awaitingReview(arbiter, workflowId);
      const told = state.trail.find(retried) as Extract<TrailEvent, { kind: 'notified' }>;
      expect(told.data).toMatchObject({ channel: 'kill-hook', status: 'already-sent' });
      expect(told.data.attempt).toBeGreaterThan(1);
      expect(told.summary).toBe(
        `review-opened: kill-hook had already been told (webhook ${killHook.url}/arbiter)`,
      );

      await arbiter.review(workflowId, { decision: 'approve', reviewer: 'alice', reason: 'ok' });
      const done = await arbiter.contractResult(workflowId);
      expect(done.outcome).toBe('SUCCEEDED');
      b.kill('SIGTERM');
      await b.exited;
      const got = killHook.received.map((m) => ({
        key: String(m.headers['idempotency-key']),
        signed: m.signatureOk,
        body: JSON.parse(m.body) as { event: string; possibleDuplicate: boolean },
      }));
      expect(got.map((g) => g.body.event)).toEqual(['review-opened', 'review-answered']);
      expect(new Set(got.map((g) => g.key)).size).toBe(2);
      expect(got.every((g) => g.signed && !g.body.possibleDuplicate)).toBe(true);
    } finally {
      killHook.answer = undefined;
      await proxy.close();
      await arbiter.close();
      await connection.close();
    }
  });
});
