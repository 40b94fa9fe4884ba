// The generic webhook: POST JSON, signed like requests to signed http agents (HMAC-SHA256 over
// `timestamp.body`, docs/security.md), with the idempotency key in the `Idempotency-Key` header so
// the receiver can drop a repeat.
import { signatureHeaders } from '../security/signature.js';
import type { WebhookTarget } from './channels.js';
import type { NotificationMessage } from './message.js';
import { postJson, type PostOutcome } from './post.js';
import type { FailureWhere } from './failure.js';

export const WEBHOOK_BODY_VERSION = 1;

/** The body a webhook receives: the message's fields, named one by one. */
export function webhookBody(m: NotificationMessage): string {
  return JSON.stringify({
    type: 'arbiter.review',
    version: WEBHOOK_BODY_VERSION,
    event: m.event,
    idempotencyKey: m.idempotencyKey,
    possibleDuplicate: m.possibleDuplicate,
    text: m.headline,
    review: {
      workflowId: m.workflowId,
      contractId: m.contractId,
      subject: m.subject,
      title: m.title,
      withheld: m.withheld,
      why: m.why,
      dataClass: m.dataClass,
      budgetUsd: m.budgetUsd ?? null,
      deadline: m.deadline,
      group: m.group,
      reviewers: m.reviewers,
      answer: m.answer ?? null,
    },
    links: { webUi: m.links.webUi, approve: m.links.approve ?? null, reject: m.links.reject ?? null },
  });
}

export function sendWebhook(
  target: WebhookTarget,
  m: NotificationMessage,
  where: FailureWhere,
  signal?: AbortSignal,
): Promise<PostOutcome> {
  const body = webhookBody(m);
  return postJson(
    target.url,
    body,
    {
      'idempotency-key': m.idempotencyKey,
      'user-agent': 'arbiter-notify',
      ...signatureHeaders(target.secret, body),
    },
    where,
    signal,
  );
}
