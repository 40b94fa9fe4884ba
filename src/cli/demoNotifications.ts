// Where `arbiter demo` sends its notifications: a signed webhook to a receiver in the demo's own
// process on 127.0.0.1, which prints each message as it arrives. Self-contained: the demo starts it
// before the stack (the worker reads the channel's variables at start) and stops it at the end.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startWebhookReceiver, type ReceivedNotification } from '../notify/receiver.js';

export const DEMO_REVIEWERS = fileURLToPath(new URL('../../examples/reviewers.demo.yaml', import.meta.url));
export const DEMO_URL_ENV = 'ARBITER_DEMO_WEBHOOK_URL';
export const DEMO_SECRET_ENV = 'ARBITER_DEMO_WEBHOOK_SECRET';

export interface DemoNotifications {
  url: string;
  /** Stops the receiver and prints how many messages it got. */
  stop(): Promise<void>;
}

function linesOf(n: ReceivedNotification): string[] {
  const b = n.body as {
    event?: string;
    text?: string;
    review?: { group?: string; reviewers?: string[]; deadline?: string };
    links?: { approve?: string | null; webUi?: string };
  };
  if (n.repeat) return [`  [notification] repeat of ${n.idempotencyKey ?? '?'} dropped by the receiver`];
  const lines = [`  [notification] ${b.event ?? '?'} -> ${b.review?.group ?? '?'}: ${b.text ?? ''}`];
  if (b.links?.approve) lines.push(`                 ${b.links.approve}`);
  if (b.links?.webUi) lines.push(`                 ${b.links.webUi}`);
  return lines;
}

/**
 * Starts the receiver, points the demo's channel at it (environment variables the worker reads),
 * and uses the demo's reviewers file unless ARBITER_REVIEWERS names another.
 */
export async function startDemoNotifications(say: (line?: string) => void): Promise<DemoNotifications> {
  const secret = randomBytes(32).toString('hex');
  const receiver = await startWebhookReceiver({
    secret,
    onMessage: (n) => linesOf(n).forEach((line) => say(line)),
    onRefused: (why) => say(`  [notification] refused a request: ${why}`),
  });
  process.env[DEMO_URL_ENV] = receiver.url;
  process.env[DEMO_SECRET_ENV] = secret;
  const ownFile = !process.env.ARBITER_REVIEWERS;
  if (ownFile) process.env.ARBITER_REVIEWERS = DEMO_REVIEWERS;
  say(
    ownFile
      ? `Notifications: every reviewer group -> signed webhook ${receiver.url} (a receiver in this process, ` +
          'examples/reviewers.demo.yaml); each message is printed as it arrives'
      : `Notifications: as ${process.env.ARBITER_REVIEWERS} says; the demo's receiver listens at ${receiver.url} ($${DEMO_URL_ENV})`,
  );
  return {
    url: receiver.url,
    async stop() {
      await receiver.stop();
      const repeats = receiver.received.filter((n) => n.repeat).length;
      say(
        `Notifications received by the demo's webhook: ${receiver.received.length - repeats}` +
          (repeats ? ` (and ${repeats} repeats dropped)` : '') +
          (receiver.refused ? `; ${receiver.refused} refused` : ''),
      );
    },
  };
}
