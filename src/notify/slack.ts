// A Slack incoming webhook (or a compatible one: Mattermost, Rocket.Chat) gets a Block Kit message.
// Slack's incoming webhooks have no idempotency support: the key travels in the message's context
// line and as an `Idempotency-Key` header (compatible receivers may use it), and the activity's own
// record of sent keys is what keeps a retry from posting twice.
import type { SlackTarget } from './channels.js';
import { money, type NotificationMessage } from './message.js';
import { postJson, type PostOutcome } from './post.js';
import type { FailureWhere } from './failure.js';

/** Slack's mrkdwn needs only these three escaped. */
const esc = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** A deadline Slack shows in each reader's own time zone, with the ISO text as fallback. */
function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return esc(iso);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${esc(iso)}>`;
}

export function slackPayload(m: NotificationMessage): Record<string, unknown> {
  const fields = [
    `*Data class*\n${esc(m.dataClass)}`,
    `*Budget*\n${m.budgetUsd !== undefined ? money(m.budgetUsd) : 'none set'}`,
    `*${m.answer || m.event === 'review-timed-out' ? 'Deadline was' : 'Deadline'}*\n${slackDate(m.deadline)}`,
    `*Asked*\n${esc(m.group)} (${esc(m.reviewers.join(', ') || 'nobody listed')})`,
  ].map((text) => ({ type: 'mrkdwn', text: clip(text, 2000) }));
  const blocks: Record<string, unknown>[] = [
    // Header text is plain and at most 150 characters.
    { type: 'header', text: { type: 'plain_text', text: clip(m.headline, 150), emoji: false } },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: clip(
          `*${esc(m.contractId)}* (\`${esc(m.workflowId)}\`)${m.why.length ? `\n${m.why.map((w) => `• ${esc(w)}`).join('\n')}` : ''}`,
          3000,
        ),
      },
    },
    { type: 'section', fields },
  ];
  if (m.answer) {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: clip(
          `*Answer*: ${esc(m.answer.decision)} by ${esc(m.answer.reviewer)}${m.answer.reason ? ` (${esc(m.answer.reason)})` : ''}`,
          3000,
        ),
      },
    });
  }
  if (m.links.approve && m.links.reject) {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: clip(`*Approve*\n\`${esc(m.links.approve)}\`\n*Reject*\n\`${esc(m.links.reject)}\``, 3000),
      },
    });
  }
  blocks.push(
    {
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: 'Open in the Temporal Web UI' },
          url: m.links.webUi,
          action_id: 'arbiter-open-web-ui',
        },
      ],
    },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: clip(
            `Arbiter · ${esc(m.event)} · key \`${esc(m.idempotencyKey)}\`${m.possibleDuplicate ? ' · sent again after an interrupted attempt: this may repeat an earlier message' : ''}`,
            3000,
          ),
        },
      ],
    },
  );
  // `text` is the notification's preview and the fallback for clients without blocks.
  return { text: clip(m.headline, 3000), blocks };
}

/** Slack answers errors with a short code (invalid_payload, no_service, channel_is_archived). */
const slackError = (text: string): string | undefined => (/^[a-z_]{1,64}$/.test(text) ? text : undefined);

export function sendSlack(
  target: SlackTarget,
  m: NotificationMessage,
  where: FailureWhere,
  signal?: AbortSignal,
): Promise<PostOutcome> {
  return postJson(
    target.url,
    JSON.stringify(slackPayload(m)),
    { 'idempotency-key': m.idempotencyKey, 'user-agent': 'arbiter-notify' },
    where,
    signal,
    slackError,
  );
}
