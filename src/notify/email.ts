// Email over SMTP with nodemailer: a plain-text message whose Message-ID is derived from the channel
// and idempotency key, so a repeat carries the same id (mail clients and many servers collapse
// messages with one id), and whose References header threads every message of one review.
import { createHash } from 'node:crypto';
import { createTransport } from 'nodemailer';
import type { EmailTarget } from './channels.js';
import { messageLines, type NotificationMessage } from './message.js';
import { notifyFailure, type FailureWhere } from './failure.js';
import type { PostOutcome } from './post.js';
import { NOTIFY_FAILURES } from './request.js';

const hash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 40);
const domainOf = (address: string): string =>
  address.slice(address.lastIndexOf('@') + 1) || 'arbiter.invalid';

/** `<hash@sender-domain>`: the same channel and key always give the same Message-ID. */
export function messageIdFor(channel: string, idempotencyKey: string, from: string): string {
  return `<${hash(`${channel}\n${idempotencyKey}`)}.notify@${domainOf(from)}>`;
}

/** A stable id per workflow, so every message about one review lands in one thread. */
export function threadIdFor(workflowId: string, from: string): string {
  return `<${hash(workflowId)}.review@${domainOf(from)}>`;
}

/** Failures that retrying cannot fix: credentials, TLS setup, addresses, configuration. */
const PERMANENT_CODES = new Set(['EAUTH', 'ENOAUTH', 'ETLS', 'EREQUIRETLS', 'EENVELOPE', 'ECONFIG']);
/** The message cannot have been handed over: no connection, no greeting, or the server said no. */
const NOT_HANDED_OVER = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

interface SmtpError extends Error {
  code?: string;
  originalCode?: string;
  responseCode?: number;
  permanent?: boolean;
  timeoutType?: string;
}

export const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 };

export async function sendEmail(
  target: EmailTarget,
  m: NotificationMessage,
  where: FailureWhere,
  channel: string,
  signal?: AbortSignal,
): Promise<PostOutcome & { rejected?: string[] }> {
  const transport = createTransport({
    host: target.host,
    port: target.port,
    secure: target.tls === 'implicit',
    requireTLS: target.tls === 'starttls',
    ignoreTLS: target.tls === 'none',
    ...(target.auth ? { auth: target.auth } : {}),
    ...SMTP_TIMEOUTS,
  });
  const abort = () => transport.close();
  signal?.addEventListener('abort', abort, { once: true });
  const thread = threadIdFor(m.workflowId, target.from);
  try {
    const info = await transport.sendMail({
      from: target.from,
      to: target.to,
      subject: `[Arbiter] ${m.headline}`,
      text: `${messageLines(m).join('\n')}\n`,
      messageId: messageIdFor(channel, m.idempotencyKey, target.from),
      references: [thread],
      headers: {
        'X-Arbiter-Event': m.event,
        'X-Arbiter-Idempotency-Key': m.idempotencyKey,
        // RFC 3834: no vacation auto-replies to a machine's message.
        'Auto-Submitted': 'auto-generated',
      },
    });
    const rejected = (info.rejected ?? []).map(String);
    return { delivered: 'yes', ...(rejected.length ? { rejected } : {}) };
  } catch (err) {
    const e = err as SmtpError;
    const permanent = e.permanent === true || (e.code !== undefined && PERMANENT_CODES.has(e.code));
    const delivered =
      e.responseCode !== undefined ||
      NOT_HANDED_OVER.has(e.originalCode ?? e.code ?? '') ||
      e.timeoutType === 'CONNECT_TIMEOUT' ||
      e.timeoutType === 'GREETING_TIMEOUT'
        ? 'no'
        : 'unknown';
    const what = [e.code, e.responseCode].filter((x) => x !== undefined).join(' ') || e.name;
    return {
      delivered,
      failure: notifyFailure(
        permanent ? NOTIFY_FAILURES.refused : NOTIFY_FAILURES.unavailable,
        permanent
          ? `the SMTP server refused the message (${what}); retrying cannot help`
          : `SMTP delivery failed (${what}); retried`,
        where,
      ),
    };
  } finally {
    signal?.removeEventListener('abort', abort);
    transport.close();
  }
}
