// One notification, once: validate the narrow request, skip it when the sent record says it went out
// already, resolve the channel's secrets, build the message, send, record. The activity wraps this
// with Temporal's context (attempt number, cancellation, logger).
import type { Channel } from '../shared/reviewers.js';
import { resolveChannel } from './channels.js';
import { sendEmail } from './email.js';
import { notifyFailure, type FailureWhere } from './failure.js';
import { buildMessage } from './message.js';
import type { PostOutcome } from './post.js';
import { NOTIFY_FAILURES, NotifyRequest, type NotifyResult } from './request.js';
import type { SentLog, SentRecord } from './sentLog.js';
import { sendSlack } from './slack.js';
import { sendWebhook } from './webhook.js';

export interface DeliverySettings {
  channels: Readonly<Record<string, Channel>>;
  log: SentLog;
  uiUrl: string;
  namespace: string;
  env: Readonly<Record<string, string | undefined>>;
}

export interface DeliveryRun {
  attempt: number;
  signal?: AbortSignal;
  warn?: (message: string) => void;
  now?: () => Date;
}

function parseRequest(input: unknown): NotifyRequest {
  const parsed = NotifyRequest.safeParse(input);
  if (parsed.success) return parsed.data;
  const channel =
    input && typeof input === 'object' && typeof (input as { channel?: unknown }).channel === 'string'
      ? (input as { channel: string }).channel
      : '?';
  // Paths and messages only: the values may be exactly what must not be shown.
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
  throw notifyFailure(NOTIFY_FAILURES.badRequest, `invalid request: ${problems.join('; ')}`, { channel });
}

export async function deliver(
  input: unknown,
  settings: DeliverySettings,
  run: DeliveryRun,
): Promise<NotifyResult> {
  const req = parseRequest(input);
  const channel = settings.channels[req.channel];
  if (!channel) {
    throw notifyFailure(
      NOTIFY_FAILURES.unknownChannel,
      `no channel "${req.channel}" in the reviewers file's channels`,
      { channel: req.channel },
    );
  }
  const resolved = resolveChannel(req.channel, channel, settings.env);
  const where: FailureWhere = { channel: req.channel, kind: channel.kind, target: resolved.description };
  const base = {
    channel: req.channel,
    kind: channel.kind,
    target: resolved.description,
    attempt: run.attempt,
  };

  let earlier: SentRecord | undefined;
  let interrupted: boolean;
  try {
    earlier = settings.log.sent(req.channel, req.idempotencyKey);
    interrupted = earlier ? false : settings.log.wasInterrupted(req.channel, req.idempotencyKey);
    if (!earlier) settings.log.begin(req.channel, req.idempotencyKey, run.attempt);
  } catch (err) {
    // Without the record, a send could repeat one already made: wait for the disk instead.
    throw notifyFailure(
      NOTIFY_FAILURES.unavailable,
      `the record of sent notifications cannot be used (${(err as NodeJS.ErrnoException).code ?? String(err)}); retried`,
      where,
    );
  }
  if (earlier) return { ...base, status: 'already-sent', sentAt: earlier.sentAt };

  const message = buildMessage(req, {
    uiUrl: settings.uiUrl,
    namespace: settings.namespace,
    encrypted: Boolean(settings.env.ARBITER_CODEC_KEYS),
    possibleDuplicate: interrupted,
  });
  const target = resolved.target;
  let outcome: PostOutcome & { rejected?: string[] };
  switch (target.kind) {
    case 'webhook':
      outcome = await sendWebhook(target, message, where, run.signal);
      break;
    case 'slack':
      outcome = await sendSlack(target, message, where, run.signal);
      break;
    case 'email':
      outcome = await sendEmail(target, message, where, req.channel, run.signal);
      break;
  }
  if (outcome.failure) {
    // Surely not delivered: the next attempt is a first send, not a possible repeat.
    if (outcome.delivered === 'no') safely(() => settings.log.abandon(req.channel, req.idempotencyKey), run);
    throw outcome.failure;
  }
  if (outcome.rejected) {
    run.warn?.(
      `notify ${req.channel}: the SMTP server refused some recipients: ${outcome.rejected.join(', ')}`,
    );
  }
  const sentAt = (run.now?.() ?? new Date()).toISOString();
  // Delivered: a failure to record it must not fail the activity, or Temporal would send it again.
  safely(
    () =>
      settings.log.record({
        channel: req.channel,
        idempotencyKey: req.idempotencyKey,
        kind: channel.kind,
        target: resolved.description,
        attempt: run.attempt,
        sentAt,
      }),
    run,
  );
  return { ...base, status: 'sent', sentAt };
}

function safely(fn: () => void, run: DeliveryRun): void {
  try {
    fn();
  } catch (err) {
    run.warn?.(`notify: the record of sent notifications could not be updated: ${String(err)}`);
  }
}
