// The notify activity on a real worker and the real Temporal dev server, against real receivers on
// 127.0.0.1: a webhook receiver that checks the HMAC signature itself, a Slack-shaped receiver, and
// a real SMTP server that requires a login.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities/index.js';
import { loadDeps } from '../../src/activities/deps.js';
import type { NotifyRequest } from '../../src/activities/notify.js';
import { ArbiterError } from '../../src/shared/errors.js';
import { Contract } from '../../src/shared/contract.js';
import { deliver } from '../../src/notify/deliver.js';
import { SentLog } from '../../src/notify/sentLog.js';
import { activityMetricsInterceptor } from '../../src/observability/activityMetrics.js';
import { createArbiterMetrics } from '../../src/observability/arbiterMetrics.js';
import type { Config } from '../../src/config/settings.js';
import {
  decodedBody,
  header,
  startHttpReceiver,
  startSmtpReceiver,
  type HttpReceiver,
  type SmtpReceiver,
} from '../support/notifyReceivers.js';
import { testConfig } from '../support/temporal.js';
import type { NotifyOutcome } from '../support/notifyWorkflow.js';

const HOOK_SECRET = `hook-${randomBytes(8).toString('hex')}`;
const SLACK_TOKEN = `slacktoken${randomBytes(8).toString('hex')}`;
const SMTP_USER = 'arbiter-mailer';
const SMTP_PASS = `smtp-${randomBytes(8).toString('hex')}`;
const UI = 'https://temporal.example.com';

let hook: HttpReceiver;
let slack: HttpReceiver;
let smtp: SmtpReceiver;
let config: Config;
let client: Client;
let clientConnection: Connection;
let workerConnection: NativeConnection;
let worker: Worker;
let running: Promise<void>;
const metrics = createArbiterMetrics();
let run = 0;

function reviewersYaml(): string {
  return `
groups: { analysts: [alice, bob], compliance: [dave] }
escalation: { default: [analysts, compliance] }
channels:
  team-hook: { kind: webhook, url: "${hook.url}/arbiter", secretEnv: TEST_NOTIFY_HOOK_SECRET }
  other-hook: { kind: webhook, url: "${hook.url}/arbiter", secretEnv: TEST_NOTIFY_OTHER_SECRET }
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
notify:
  analysts: [team-hook, team-slack, team-mail]
`;
}

beforeAll(async () => {
  [hook, slack, smtp] = await Promise.all([
    startHttpReceiver({ secret: HOOK_SECRET }),
    startHttpReceiver(),
    startSmtpReceiver(SMTP_USER, SMTP_PASS),
  ]);
  Object.assign(process.env, {
    TEST_NOTIFY_HOOK_SECRET: HOOK_SECRET,
    TEST_NOTIFY_OTHER_SECRET: 'not-the-receivers-secret',
    TEST_NOTIFY_SLACK_URL: `${slack.url}/services/T000/B000/${SLACK_TOKEN}`,
    TEST_NOTIFY_SMTP_HOST: '127.0.0.1',
    TEST_NOTIFY_SMTP_PORT: String(smtp.port),
    TEST_NOTIFY_SMTP_USER: SMTP_USER,
    TEST_NOTIFY_SMTP_PASSWORD: SMTP_PASS,
  });
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-notify-'));
  const reviewersFile = join(dir, 'reviewers.yaml');
  writeFileSync(reviewersFile, reviewersYaml());
  config = testConfig({ reviewersFile, uiUrl: UI });

  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const bundle = await bundleWorkflowCode({
    workflowsPath: new URL('../support/notifyWorkflow.ts', import.meta.url).pathname,
    logger: new DefaultLogger('ERROR'),
  });
  workerConnection = await NativeConnection.connect({ address: config.address! });
  worker = await Worker.create({
    connection: workerConnection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    activities: createActivities(loadDeps(config)),
    workflowBundle: bundle,
    interceptors: { activity: [activityMetricsInterceptor(metrics)] },
  });
  running = worker.run();
  clientConnection = await Connection.connect({ address: config.address! });
  client = new Client({ connection: clientConnection, namespace: config.namespace });
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await workerConnection?.close();
  await clientConnection?.close();
  await Promise.all([hook?.close(), slack?.close(), smtp?.close()]);
});

function review(over: Partial<NotifyRequest['review']> = {}): NotifyRequest['review'] {
  return {
    workflowId: 'contract/quarterly-forecast-n1',
    contractId: 'quarterly-forecast-n1',
    title: 'Quarterly revenue forecast',
    subject: 'contract',
    why: ['regulated-low-confidence: finance work on weak evidence needs a person'],
    dataClass: 'internal',
    budgetUsd: 12.5,
    deadline: '2030-01-02T03:04:05.000Z',
    group: 'analysts',
    reviewers: ['alice', 'bob'],
    ...over,
  };
}

async function notify(req: NotifyRequest, maximumAttempts = 3): Promise<NotifyOutcome> {
  run += 1;
  return client.workflow.execute('notifyOnce', {
    taskQueue: config.taskQueue,
    workflowId: `notify-test-${process.pid}-${run}-${Date.now().toString(36)}`,
    args: [req, maximumAttempts],
  }) as Promise<NotifyOutcome>;
}

const key = (name: string) => `${name}-${randomBytes(4).toString('hex')}`;
const withKey = (r: HttpReceiver, k: string) => r.received.filter((m) => m.headers['idempotency-key'] === k);
const mailsWithKey = (k: string) =>
  smtp.received.filter((m) => header(m.raw, 'X-Arbiter-Idempotency-Key') === k);

async function counted(channel: string, outcome: string): Promise<number> {
  const { values } = await metrics.notifications.get();
  return values.find((v) => v.labels.channel === channel && v.labels.outcome === outcome)?.value ?? 0;
}

describe('the notify activity', () => {
  it('webhook: one POST, signed with the channel secret, carrying what a reviewer needs', async () => {
    const k = key('opened');
    const out = await notify({
      channel: 'team-hook',
      idempotencyKey: k,
      event: 'review-opened',
      review: review(),
    });
    expect(out.result).toMatchObject({
      channel: 'team-hook',
      kind: 'webhook',
      target: `${hook.url}/arbiter`,
      status: 'sent',
      attempt: 1,
    });
    const got = withKey(hook, k);
    expect(got).toHaveLength(1);
    expect(got[0]!.path).toBe('/arbiter');
    expect(got[0]!.signatureOk).toBe(true);
    const body = JSON.parse(got[0]!.body) as unknown;
    expect(body).toMatchObject({
      event: 'review-opened',
      idempotencyKey: k,
      possibleDuplicate: false,
      review: {
        workflowId: 'contract/quarterly-forecast-n1',
        title: 'Quarterly revenue forecast',
        why: ['regulated-low-confidence: finance work on weak evidence needs a person'],
        dataClass: 'internal',
        budgetUsd: 12.5,
        deadline: '2030-01-02T03:04:05.000Z',
        group: 'analysts',
        reviewers: ['alice', 'bob'],
      },
      links: {
        webUi: `${UI}/namespaces/default/workflows/contract%2Fquarterly-forecast-n1`,
        approve: 'arbiter approve contract/quarterly-forecast-n1 --reason "..."',
        reject: 'arbiter reject contract/quarterly-forecast-n1 --reason "..."',
      },
    });
    // The secret signs; it is never sent.
    expect(JSON.stringify(got[0]!.headers) + got[0]!.body).not.toContain(HOOK_SECRET);
  });

  it('a message signed with another secret does not verify (the receiver check is real)', async () => {
    const k = key('forged');
    const out = await notify({
      channel: 'other-hook',
      idempotencyKey: k,
      event: 'review-opened',
      review: review(),
    });
    expect(out.result?.status).toBe('sent');
    expect(withKey(hook, k).map((m) => m.signatureOk)).toEqual([false]);
  });

  it('slack: one Block Kit message with title, why, data class, deadline, the commands and the Web UI button', async () => {
    const k = key('slack');
    const out = await notify({
      channel: 'team-slack',
      idempotencyKey: k,
      event: 'review-escalated',
      review: review({ group: 'compliance', reviewers: ['alice', 'bob', 'dave'] }),
    });
    expect(out.result).toMatchObject({ kind: 'slack', status: 'sent' });
    // The webhook URL is the credential: only its origin is shown.
    expect(out.result!.target).toBe(`${slack.url} (URL from $TEST_NOTIFY_SLACK_URL)`);
    const got = withKey(slack, k);
    expect(got).toHaveLength(1);
    expect(got[0]!.path).toBe(`/services/T000/B000/${SLACK_TOKEN}`);
    const payload = JSON.parse(got[0]!.body) as {
      text: string;
      blocks: { type: string; text?: unknown; elements?: { url: string }[] }[];
    };
    expect(payload.text).toBe('Review escalated to compliance: Quarterly revenue forecast');
    expect(payload.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
    const text = JSON.stringify(payload.blocks);
    expect(text).toContain('finance work on weak evidence needs a person');
    expect(text).toContain('*Data class*\\ninternal');
    expect(text).toContain('$12.50');
    expect(text).toMatch(/<!date\^1893553445\^\{date_short_pretty\} \{time\}\|2030-01-02T03:04:05.000Z>/);
    expect(text).toContain('compliance (alice, bob, dave)');
    expect(text).toContain('`arbiter approve contract/quarterly-forecast-n1 --reason \\"...\\"`');
    expect(text).toContain('`arbiter reject contract/quarterly-forecast-n1 --reason \\"...\\"`');
    const actions = payload.blocks.find((b) => b.type === 'actions') as { elements: { url: string }[] };
    expect(actions.elements[0]!.url).toBe(
      `${UI}/namespaces/default/workflows/contract%2Fquarterly-forecast-n1`,
    );
    expect(text).toContain(k);
  });

  it('email: one message over SMTP with login, a Message-ID from the key, the commands and the link', async () => {
    const k = key('mail');
    const out = await notify({
      channel: 'team-mail',
      idempotencyKey: k,
      event: 'review-opened',
      review: review(),
    });
    expect(out.result).toMatchObject({
      kind: 'email',
      status: 'sent',
      target: `smtp://127.0.0.1:${smtp.port} to alice@example.com, bob@example.com`,
    });
    const got = mailsWithKey(k);
    expect(got).toHaveLength(1);
    const mail = got[0]!;
    expect(mail.user).toBe(SMTP_USER);
    expect(mail.from).toBe('arbiter@example.com');
    expect(mail.to).toEqual(['alice@example.com', 'bob@example.com']);
    expect(header(mail.raw, 'Subject')).toBe('[Arbiter] Review needed: Quarterly revenue forecast');
    expect(header(mail.raw, 'Message-ID')).toMatch(/^<[0-9a-f]{40}\.notify@example\.com>$/);
    expect(header(mail.raw, 'Auto-Submitted')).toBe('auto-generated');
    const body = decodedBody(mail.raw);
    for (const line of [
      'Why:',
      '  - regulated-low-confidence: finance work on weak evidence needs a person',
      'Data class: internal   Budget: $12.50',
      'Deadline: 2030-01-02T03:04:05.000Z',
      'Asked: analysts (alice, bob)',
      'Approve: arbiter approve contract/quarterly-forecast-n1 --reason "..."',
      'Reject:  arbiter reject contract/quarterly-forecast-n1 --reason "..."',
      `Web UI: ${UI}/namespaces/default/workflows/contract%2Fquarterly-forecast-n1`,
    ]) {
      expect(body).toContain(line);
    }
    expect(mail.raw).not.toContain(SMTP_PASS);
  });

  it('the same key never goes out twice: a second call sends nothing, also after a worker restart', async () => {
    const k = key('once');
    const first = await notify({
      channel: 'team-hook',
      idempotencyKey: k,
      event: 'review-opened',
      review: review(),
    });
    const again = await notify({
      channel: 'team-hook',
      idempotencyKey: k,
      event: 'review-opened',
      review: review(),
    });
    expect(first.result?.status).toBe('sent');
    expect(again.result).toMatchObject({ status: 'already-sent', sentAt: first.result!.sentAt });
    // A new worker process on the same data dir reads the same record.
    const restarted = loadDeps(config);
    const third = await deliver(
      { channel: 'team-hook', idempotencyKey: k, event: 'review-opened', review: review() },
      {
        channels: restarted.reviewers.channels,
        log: restarted.notify.log,
        uiUrl: UI,
        namespace: 'default',
        env: process.env,
      },
      { attempt: 1 },
    );
    expect(third.status).toBe('already-sent');
    expect(withKey(hook, k)).toHaveLength(1);
    // The key is per channel: the same event still reaches the others once each.
    const mail = await notify({
      channel: 'team-mail',
      idempotencyKey: k,
      event: 'review-opened',
      review: review(),
    });
    const mailAgain = await notify({
      channel: 'team-mail',
      idempotencyKey: k,
      event: 'review-opened',
      review: review(),
    });
    expect([mail.result?.status, mailAgain.result?.status]).toEqual(['sent', 'already-sent']);
    expect(mailsWithKey(k)).toHaveLength(1);
    expect(await counted('team-hook', 'already-sent')).toBeGreaterThanOrEqual(1);
  });

  it('a resend after a lost record carries the same Message-ID, so mail clients see one message', async () => {
    const k = key('msgid');
    const deps = loadDeps(config);
    const settings = (dir: string) => ({
      channels: deps.reviewers.channels,
      log: new SentLog(dir),
      uiUrl: UI,
      namespace: 'default',
      env: process.env,
    });
    const req: NotifyRequest = {
      channel: 'team-mail',
      idempotencyKey: k,
      event: 'review-opened',
      review: review(),
    };
    await deliver(req, settings(mkdtempSync(join(tmpdir(), 'arbiter-sent-a-'))), { attempt: 1 });
    await deliver(req, settings(mkdtempSync(join(tmpdir(), 'arbiter-sent-b-'))), { attempt: 1 });
    await deliver(
      { ...req, idempotencyKey: `${k}-other` },
      settings(mkdtempSync(join(tmpdir(), 'arbiter-sent-c-'))),
      { attempt: 1 },
    );
    const ids = [...mailsWithKey(k), ...mailsWithKey(`${k}-other`)].map((m) => header(m.raw, 'Message-ID'));
    expect(ids).toHaveLength(3);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[0]);
  });

  it('an earlier attempt interrupted mid-send: the repeat goes out once, marked as a possible duplicate', async () => {
    const k = key('interrupted');
    // What a worker killed between starting the request and recording it leaves behind.
    loadDeps(config).notify.log.begin('team-hook', k, 1);
    const out = await notify({
      channel: 'team-hook',
      idempotencyKey: k,
      event: 'review-opened',
      review: review(),
    });
    expect(out.result?.status).toBe('sent');
    const got = withKey(hook, k);
    expect(got).toHaveLength(1);
    expect(JSON.parse(got[0]!.body)).toMatchObject({ possibleDuplicate: true });
  });

  it('a receiver answering 500 fails the attempt retryably; Temporal retries until it is accepted, once', async () => {
    const k = key('flaky');
    hook.answers = [
      { status: 500, body: 'down' },
      { status: 503, body: 'still down' },
      { status: 200, body: 'ok' },
    ];
    const before = await counted('team-hook', 'failed');
    const out = await notify(
      { channel: 'team-hook', idempotencyKey: k, event: 'review-opened', review: review() },
      5,
    );
    expect(out.result).toMatchObject({ status: 'sent', attempt: 3 });
    const got = withKey(hook, k);
    expect(got).toHaveLength(3);
    // Every attempt carried the same key and a valid signature; only the last was accepted.
    expect(got.every((m) => m.signatureOk)).toBe(true);
    expect(JSON.parse(got[2]!.body)).toMatchObject({ possibleDuplicate: false });
    expect((await counted('team-hook', 'failed')) - before).toBe(2);
  });

  it('a receiver that keeps answering 500 exhausts the retries with a retryable failure naming no secret', async () => {
    const k = key('down');
    slack.answers = [{ status: 500, body: 'internal_error' }];
    try {
      const out = await notify(
        { channel: 'team-slack', idempotencyKey: k, event: 'review-opened', review: review() },
        2,
      );
      expect(out.failure).toMatchObject({
        type: 'NotifyUnavailable',
        nonRetryable: false,
        retryState: 'MAXIMUM_ATTEMPTS_REACHED',
      });
      expect(out.failure!.message).toContain('HTTP 500 internal_error');
      expect(out.failure!.message).not.toContain(SLACK_TOKEN);
      expect(withKey(slack, k)).toHaveLength(2);
    } finally {
      slack.answers = [{ status: 200, body: 'ok' }];
    }
  });

  it('a 4xx that can never succeed is not retried', async () => {
    const k = key('gone');
    slack.answers = [{ status: 404, body: 'no_service' }];
    const before = await counted('team-slack', 'refused');
    try {
      const out = await notify(
        { channel: 'team-slack', idempotencyKey: k, event: 'review-opened', review: review() },
        5,
      );
      expect(out.failure).toMatchObject({
        type: 'NotifyRefused',
        nonRetryable: true,
        retryState: 'NON_RETRYABLE_FAILURE',
      });
      expect(out.failure!.message).toContain('HTTP 404 no_service');
      expect(withKey(slack, k)).toHaveLength(1);
      expect((await counted('team-slack', 'refused')) - before).toBe(1);
    } finally {
      slack.answers = [{ status: 200, body: 'ok' }];
    }
  });

  it('an unknown channel or a malformed request fails at once, without a send', async () => {
    const unknown = await notify({
      channel: 'nobody',
      idempotencyKey: key('x'),
      event: 'review-opened',
      review: review(),
    });
    expect(unknown.failure).toMatchObject({ type: 'NotifyUnknownChannel', nonRetryable: true });
    const bad = await notify({
      channel: 'team-hook',
      idempotencyKey: key('y'),
      event: 'review-reopened' as NotifyRequest['event'],
      review: review(),
    });
    expect(bad.failure).toMatchObject({ type: 'NotifyBadRequest', nonRetryable: true });
    expect(bad.failure!.message).toContain('event');
  });

  it("a pii contract's notification carries none of its inputs, objective or outputs on any channel", async () => {
    const MARKER = `MARKER${randomBytes(6).toString('hex')}`;
    const contract = Contract.parse({
      id: 'patient-records-n1',
      title: 'Patient records summary',
      objective: `Summarise the records of patient ${MARKER}-objective`,
      acceptanceCriteria: [`mentions ${MARKER}-criterion`],
      inputs: { patient: `${MARKER}-name`, ssn: `${MARKER}-ssn` },
      constraints: { dataClass: 'pii', budgetUsd: 3 },
    });
    // A careless caller spreads the whole contract (and an agent's output) into the request.
    const careless = {
      ...contract,
      ...contract.constraints,
      workflowId: `contract/${contract.id}`,
      contractId: contract.id,
      subject: 'contract',
      why: ['clearance: pii work needs a person'],
      deadline: '2030-01-02T03:04:05.000Z',
      group: 'analysts',
      reviewers: ['alice'],
      output: { summary: `${MARKER}-output` },
    } as unknown as NotifyRequest['review'];
    const k = key('pii');
    for (const channel of ['team-hook', 'team-slack', 'team-mail']) {
      const out = await notify({ channel, idempotencyKey: k, event: 'review-opened', review: careless });
      expect(out.result?.status).toBe('sent');
    }
    const sent = [
      ...withKey(hook, k).map((m) => m.body),
      ...withKey(slack, k).map((m) => m.body),
      ...mailsWithKey(k).flatMap((m) => [m.raw, decodedBody(m.raw)]),
    ];
    expect(sent).toHaveLength(4);
    for (const text of sent) {
      expect(text).toContain('patient-records-n1');
      expect(text).not.toContain(MARKER);
    }
  });

  it('with payload encryption on, a pii review withholds its title, reasons and the reviewer comment', async () => {
    const MARKER = `SECRET${randomBytes(6).toString('hex')}`;
    process.env.ARBITER_CODEC_KEYS = `k1:${randomBytes(32).toString('base64')}`;
    try {
      const k = key('encrypted');
      const r = review({
        workflowId: 'contract/records-n2',
        contractId: 'records-n2',
        title: `Records of ${MARKER}-title`,
        why: [`escalation: agent failed on ${MARKER}-why`],
        dataClass: 'pii',
        answer: { decision: 'reject', reviewer: 'alice', reason: `${MARKER}-reason` },
      });
      for (const channel of ['team-hook', 'team-slack', 'team-mail']) {
        const out = await notify({ channel, idempotencyKey: k, event: 'review-answered', review: r });
        expect(out.result?.status).toBe('sent');
      }
      const hookBody = JSON.parse(withKey(hook, k)[0]!.body) as { review: unknown };
      expect(hookBody.review).toMatchObject({
        withheld: true,
        title: 'records-n2 (title withheld: pii data)',
        answer: { decision: 'reject', reviewer: 'alice', reason: '(withheld)' },
      });
      const sent = [
        ...withKey(hook, k).map((m) => m.body),
        ...withKey(slack, k).map((m) => m.body),
        ...mailsWithKey(k).flatMap((m) => [m.raw, decodedBody(m.raw)]),
      ];
      expect(sent).toHaveLength(4);
      for (const text of sent) {
        expect(text).toContain('records-n2');
        expect(text).toContain('rejected by alice');
        expect(text).not.toContain(MARKER);
      }
    } finally {
      delete process.env.ARBITER_CODEC_KEYS;
    }
  });

  it('a worker whose channels name unset variables refuses to start, naming the field and variable', () => {
    const value = process.env.TEST_NOTIFY_SMTP_PASSWORD;
    delete process.env.TEST_NOTIFY_SMTP_PASSWORD;
    try {
      let err: unknown;
      try {
        loadDeps(config);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ArbiterError);
      expect((err as ArbiterError).exitCode).toBe(2);
      expect((err as ArbiterError).toUserText()).toContain(config.reviewersFile);
      expect((err as ArbiterError).toUserText()).toContain(
        'channels.team-mail.passwordEnv: TEST_NOTIFY_SMTP_PASSWORD is not set',
      );
    } finally {
      process.env.TEST_NOTIFY_SMTP_PASSWORD = value;
    }
  });

  it('Prometheus counts sent notifications by channel and kind', async () => {
    const text = await metrics.registry.getSingleMetricAsString('arbiter_notifications_total');
    expect(text).toMatch(
      /arbiter_notifications_total\{channel="team-hook",kind="webhook",outcome="sent"\} [1-9]/,
    );
    expect(text).toMatch(
      /arbiter_notifications_total\{channel="team-mail",kind="email",outcome="sent"\} [1-9]/,
    );
    expect(text).toMatch(
      /arbiter_notifications_total\{channel="team-slack",kind="slack",outcome="refused"\} [1-9]/,
    );
  });
});
