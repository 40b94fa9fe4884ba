// The one message every channel renders: built field by field from the narrow request, never by
// copying it, so only what a reviewer needs to decide can reach a receiver.
//
// With payload encryption on (ARBITER_CODEC_KEYS), an operator has said that what Arbiter stores is
// sensitive; for `confidential` and `pii` work the free text people or agents wrote (the title, the
// reasons, a reviewer's comment) is then withheld too. What is left identifies the review (ids, data
// class, budget, deadline, who is asked) and says where to read the rest: the Web UI through the
// codec server, or `arbiter status`.
import { webUiLink } from '../config/settings.js';
import type { NotifyEvent, NotifyRequest } from './request.js';

export const LIMITS = { title: 200, whyLines: 10, whyLine: 300, reason: 300, reviewers: 20 } as const;

export interface MessageContext {
  /** The Temporal Web UI's base address and namespace, for the workflow link. */
  uiUrl: string;
  namespace: string;
  /** Payload encryption is configured for this deployment. */
  encrypted: boolean;
  /** An earlier attempt may have delivered this message already (it was interrupted mid-send). */
  possibleDuplicate: boolean;
}

export interface NotificationMessage {
  event: NotifyEvent;
  idempotencyKey: string;
  headline: string;
  workflowId: string;
  contractId: string;
  subject: NotifyRequest['review']['subject'];
  title: string;
  /** True when the title, reasons and comments were withheld (encrypted deployment, sensitive data). */
  withheld: boolean;
  why: string[];
  dataClass: NotifyRequest['review']['dataClass'];
  budgetUsd?: number;
  deadline: string;
  group: string;
  reviewers: string[];
  answer?: { decision: 'approve' | 'reject'; reviewer: string; reason?: string };
  links: { webUi: string; approve?: string; reject?: string };
  possibleDuplicate: boolean;
}

const clip = (text: string, max: number): string => {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};

/** A workflow id as one shell word: quoted unless it is plainly safe. */
export function shellWord(value: string): string {
  return /^[A-Za-z0-9._/:@+=-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

const SUBJECT_WORDS: Record<NotifyRequest['review']['subject'], string> = {
  contract: 'Review needed',
  stage: 'Pipeline stage review needed',
  escalation: 'No agent delivered: a person decides',
  'tool-call': 'A tool call needs approval',
  'agent-question': 'An agent asks a person',
};

function headlineOf(req: NotifyRequest, title: string): string {
  const r = req.review;
  switch (req.event) {
    case 'review-opened':
      return `${SUBJECT_WORDS[r.subject]}: ${title}`;
    case 'review-escalated':
      return `Review escalated to ${r.group}: ${title}`;
    case 'review-answered':
      return r.answer
        ? `Review answered: ${r.answer.decision === 'approve' ? 'approved' : 'rejected'} by ${r.answer.reviewer}: ${title}`
        : `Review answered: ${title}`;
    case 'review-timed-out':
      return `Review timed out, rejected (the safe default): ${title}`;
  }
}

export const isSensitive = (dataClass: string): boolean =>
  dataClass === 'confidential' || dataClass === 'pii';

export function buildMessage(req: NotifyRequest, ctx: MessageContext): NotificationMessage {
  const r = req.review;
  const withheld = ctx.encrypted && isSensitive(r.dataClass);
  const title = withheld
    ? `${r.contractId} (title withheld: ${r.dataClass} data)`
    : clip(r.title, LIMITS.title);
  const why = withheld
    ? [
        `reasons withheld (${r.dataClass} data, payload encryption on): open the Web UI link or run arbiter status`,
      ]
    : r.why.slice(0, LIMITS.whyLines).map((line) => clip(line, LIMITS.whyLine));
  if (!withheld && r.why.length > LIMITS.whyLines) why.push(`… ${r.why.length - LIMITS.whyLines} more`);
  const asksAnswer = req.event === 'review-opened' || req.event === 'review-escalated';
  const id = shellWord(r.workflowId);
  const reviewers = r.reviewers.slice(0, LIMITS.reviewers).map((n) => clip(n, 64));
  if (r.reviewers.length > LIMITS.reviewers)
    reviewers.push(`… ${r.reviewers.length - LIMITS.reviewers} more`);
  const answer = r.answer
    ? {
        decision: r.answer.decision,
        reviewer: clip(r.answer.reviewer, 64),
        ...(r.answer.reason !== undefined
          ? { reason: withheld ? '(withheld)' : clip(r.answer.reason, LIMITS.reason) }
          : {}),
      }
    : undefined;
  return {
    event: req.event,
    idempotencyKey: req.idempotencyKey,
    headline: headlineOf(req, title),
    workflowId: r.workflowId,
    contractId: r.contractId,
    subject: r.subject,
    title,
    withheld,
    why,
    dataClass: r.dataClass,
    ...(r.budgetUsd !== undefined ? { budgetUsd: r.budgetUsd } : {}),
    deadline: r.deadline,
    group: r.group,
    reviewers,
    ...(answer ? { answer } : {}),
    links: {
      webUi: webUiLink(ctx.uiUrl, ctx.namespace, r.workflowId),
      ...(asksAnswer
        ? { approve: `arbiter approve ${id} --reason "..."`, reject: `arbiter reject ${id} --reason "..."` }
        : {}),
    },
    possibleDuplicate: ctx.possibleDuplicate,
  };
}

export const money = (usd: number): string => `$${usd.toFixed(2)}`;

/** The message as plain text lines: the email body, and what the demo prints. */
export function messageLines(m: NotificationMessage): string[] {
  const lines = [
    m.headline,
    '',
    `${m.subject === 'stage' ? 'Pipeline stage of' : 'Contract'} ${m.contractId} (${m.workflowId})`,
  ];
  if (m.why.length > 0) lines.push('Why:', ...m.why.map((w) => `  - ${w}`));
  lines.push(
    `Data class: ${m.dataClass}${m.budgetUsd !== undefined ? `   Budget: ${money(m.budgetUsd)}` : ''}`,
    `${m.answer || m.event === 'review-timed-out' ? 'Deadline was' : 'Deadline'}: ${m.deadline}`,
    `Asked: ${m.group} (${m.reviewers.join(', ') || 'nobody listed'})`,
  );
  if (m.answer) {
    lines.push(
      `Answer: ${m.answer.decision} by ${m.answer.reviewer}${m.answer.reason ? ` (${m.answer.reason})` : ''}`,
    );
  }
  if (m.links.approve) lines.push('', `Approve: ${m.links.approve}`, `Reject:  ${m.links.reject}`);
  lines.push('', `Web UI: ${m.links.webUi}`);
  if (m.possibleDuplicate) {
    lines.push('', 'Sent again after an interrupted attempt: you may have received this message already.');
  }
  lines.push('', `Idempotency key: ${m.idempotencyKey}`);
  return lines;
}
