// The demo's notifications: its reviewers file routes every group to a signed webhook, and the
// receiver the demo starts on loopback prints each message, drops repeats and refuses forgeries.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDeps } from '../../src/activities/deps.js';
import { DEMO_REVIEWERS, startDemoNotifications } from '../../src/cli/demoNotifications.js';
import { loadConfig } from '../../src/config/settings.js';
import { deliver } from '../../src/notify/deliver.js';
import { SentLog } from '../../src/notify/sentLog.js';
import type { NotifyRequest } from '../../src/notify/request.js';
import { chainFor } from '../../src/shared/reviewers.js';
import { repoFile, testConfig } from '../support/temporal.js';

const saved = { ...process.env };
afterEach(() => {
  for (const k of ['ARBITER_REVIEWERS', 'ARBITER_DEMO_WEBHOOK_URL', 'ARBITER_DEMO_WEBHOOK_SECRET']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

const request = (key: string): NotifyRequest => ({
  channel: 'demo-webhook',
  idempotencyKey: key,
  event: 'review-opened',
  review: {
    workflowId: 'contract/quarterly-forecast-demo',
    contractId: 'quarterly-forecast-demo',
    title: 'Quarterly revenue forecast',
    subject: 'contract',
    why: ['finance work on weak evidence'],
    dataClass: 'internal',
    deadline: '2030-01-01T00:00:00.000Z',
    group: 'analysts',
    reviewers: ['alice', 'bob', 'demo-reviewer'],
  },
});

describe('the demo notifications', () => {
  it('routes every reviewer group to the receiver, which prints messages, drops repeats and refuses forgeries', async () => {
    delete process.env.ARBITER_REVIEWERS;
    const printed: string[] = [];
    const demo = await startDemoNotifications((line = '') => printed.push(line));
    try {
      expect(printed[0]).toContain(`signed webhook ${demo.url}`);
      // The worker the demo starts next reads the demo's reviewers file and the channel's variables.
      expect(loadConfig(process.env, repoFile('')).reviewersFile).toBe(DEMO_REVIEWERS);
      const deps = loadDeps(testConfig({ reviewersFile: DEMO_REVIEWERS }));
      for (const domain of ['data', 'finance']) {
        for (const level of chainFor(deps.reviewers, domain))
          expect(level.channels).toEqual(['demo-webhook']);
      }
      const settings = (log: SentLog) => ({
        channels: deps.reviewers.channels,
        log,
        uiUrl: 'http://localhost:8233',
        namespace: 'default',
        env: process.env,
      });
      const sent = await deliver(request('demo-1'), settings(deps.notify.log), { attempt: 1 });
      expect(sent).toMatchObject({ status: 'sent', kind: 'webhook' });
      expect(sent.target).toBe(`${new URL(demo.url).origin} (URL from $ARBITER_DEMO_WEBHOOK_URL)`);
      expect(printed).toContain(
        '  [notification] review-opened -> analysts: Review needed: Quarterly revenue forecast',
      );
      expect(printed.join('\n')).toContain('arbiter approve contract/quarterly-forecast-demo --reason "..."');
      // A second worker without the first one's record sends again: the receiver drops the repeat.
      const elsewhere = new SentLog(mkdtempSync(join(tmpdir(), 'arbiter-demo-sent-')));
      await deliver(request('demo-1'), settings(elsewhere), { attempt: 1 });
      expect(printed).toContain('  [notification] repeat of demo-1 dropped by the receiver');
      const forged = await fetch(demo.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-arbiter-timestamp': String(Date.now()) },
        body: JSON.stringify({ event: 'review-opened', text: 'forged' }),
      });
      expect(forged.status).toBe(401);
      expect(printed.join('\n')).not.toContain('forged');
    } finally {
      await demo.stop();
    }
    expect(printed.at(-1)).toBe(
      "Notifications received by the demo's webhook: 1 (and 1 repeats dropped); 1 refused",
    );
  });

  it('leaves a reviewers file the user chose in place', async () => {
    process.env.ARBITER_REVIEWERS = repoFile('config/reviewers.yaml');
    const printed: string[] = [];
    const demo = await startDemoNotifications((line = '') => printed.push(line));
    await demo.stop();
    expect(process.env.ARBITER_REVIEWERS).toBe(repoFile('config/reviewers.yaml'));
    expect(printed[0]).toContain(`as ${repoFile('config/reviewers.yaml')} says`);
  });
});
