// The reviewer groups, escalation chains and notification channels file (config/reviewers.yaml, or
// ARBITER_REVIEWERS). Channels name environment variables for every secret (signing keys, Slack
// webhook URLs, SMTP credentials), never the values: the file can be committed.
import { z } from 'zod';

const GroupName = z.string().min(1);
const CHANNEL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ChannelId = z.string().min(1);
const EnvName = z
  .string({
    error: (issue) =>
      issue.input === undefined
        ? 'required: the name of the environment variable that holds the value'
        : 'expected the name of an environment variable',
  })
  .regex(/^[A-Z_][A-Z0-9_]{0,127}$/, {
    error:
      'the NAME of an environment variable (upper-case letters, digits, "_", e.g. ARBITER_HOOK_SECRET) ' +
      'that holds the value; never the value itself',
  });
const HttpUrl = z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' });
const Address = z.email({ error: 'an email address (name@example.com)' });

/** A generic webhook: POST JSON, signed with HMAC-SHA256 (the same scheme as signed http agents). */
export const WebhookChannel = z
  .object({
    kind: z.literal('webhook'),
    /** The receiver's URL, or the environment variable holding it (exactly one of the two). */
    url: HttpUrl.optional(),
    urlEnv: EnvName.optional(),
    /** The environment variable holding the signing secret. */
    secretEnv: EnvName,
  })
  .strict();

/** A Slack (or Slack-compatible) incoming webhook; its URL is a credential, so it comes from the environment. */
export const SlackChannel = z
  .object({
    kind: z.literal('slack'),
    url: z
      .never({
        error:
          'a Slack webhook URL is a credential: put it in an environment variable and name that in urlEnv',
      })
      .optional(),
    urlEnv: EnvName,
  })
  .strict();

export const EMAIL_TLS = ['starttls', 'implicit', 'none'] as const;

/** Email over SMTP: server and credentials from the environment, addresses in the file. */
export const EmailChannel = z
  .object({
    kind: z.literal('email'),
    hostEnv: EnvName,
    /** Default: 465 with implicit TLS, else 587. */
    portEnv: EnvName.optional(),
    userEnv: EnvName.optional(),
    passwordEnv: EnvName.optional(),
    /** starttls (default): the connection must be upgraded; implicit: TLS from the start; none: plain text. */
    tls: z.enum(EMAIL_TLS).default('starttls'),
    from: Address,
    to: z.array(Address).min(1, { error: 'at least one recipient' }),
  })
  .strict();

export const Channel = z.discriminatedUnion('kind', [WebhookChannel, SlackChannel, EmailChannel], {
  error: 'kind must be webhook, slack or email',
});
export type Channel = z.infer<typeof Channel>;
export type ChannelKind = Channel['kind'];

/** The environment variables a channel names, by the field that names them; each must be set. */
export function channelEnv(channel: Channel): { field: string; name: string }[] {
  const fields: [string, string | undefined][] =
    channel.kind === 'webhook'
      ? [
          ['urlEnv', channel.urlEnv],
          ['secretEnv', channel.secretEnv],
        ]
      : channel.kind === 'slack'
        ? [['urlEnv', channel.urlEnv]]
        : [
            ['hostEnv', channel.hostEnv],
            ['portEnv', channel.portEnv],
            ['userEnv', channel.userEnv],
            ['passwordEnv', channel.passwordEnv],
          ];
  return fields.flatMap(([field, name]) => (name ? [{ field, name }] : []));
}

export const ReviewersFile = z
  .object({
    groups: z.record(GroupName, z.array(z.string().min(1)).min(1)),
    escalation: z.record(GroupName, z.array(z.string().min(1)).min(1)),
    /** Named notification channels. */
    channels: z.record(ChannelId, Channel).default({}),
    /** Per reviewer group, the channels told when a review reaches that group. */
    notify: z.record(GroupName, z.array(ChannelId).min(1)).default({}),
  })
  .strict()
  .superRefine((file, ctx) => {
    if (!file.escalation.default) {
      ctx.addIssue({
        code: 'custom',
        path: ['escalation', 'default'],
        message: 'a default chain is required',
      });
    }
    for (const [name, chain] of Object.entries(file.escalation)) {
      chain.forEach((group, i) => {
        if (!file.groups[group]) {
          ctx.addIssue({
            code: 'custom',
            path: ['escalation', name, i],
            message: `unknown group "${group}"; define it under groups`,
          });
        }
      });
    }
    for (const [id, channel] of Object.entries(file.channels)) {
      if (!CHANNEL_ID.test(id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['channels', id],
          message: 'a channel id is 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit',
        });
      }
      if (channel.kind === 'webhook' && (channel.url === undefined) === (channel.urlEnv === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: ['channels', id, 'url'],
          message: 'a webhook needs exactly one of url (the address) or urlEnv (a variable holding it)',
        });
      }
      if (
        channel.kind === 'email' &&
        (channel.userEnv === undefined) !== (channel.passwordEnv === undefined)
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['channels', id, channel.userEnv ? 'passwordEnv' : 'userEnv'],
          message:
            'SMTP credentials need both userEnv and passwordEnv (or neither, for a server without login)',
        });
      }
    }
    for (const [group, ids] of Object.entries(file.notify)) {
      if (!file.groups[group]) {
        ctx.addIssue({
          code: 'custom',
          path: ['notify', group],
          message: `unknown group "${group}"; define it under groups`,
        });
      }
      ids.forEach((id, i) => {
        if (!file.channels[id]) {
          ctx.addIssue({
            code: 'custom',
            path: ['notify', group, i],
            message: `unknown channel "${id}"; define it under channels`,
          });
        }
      });
    }
  });
export type ReviewersFile = z.infer<typeof ReviewersFile>;

/** One level of an escalation chain: the group asked, who may answer, and the channels that tell them. */
export const ReviewLevel = z.object({
  group: z.string(),
  members: z.array(z.string()),
  /** Channel ids (absent in decisions recorded before notifications existed). */
  channels: z.array(z.string()).optional(),
});
export type ReviewLevel = z.infer<typeof ReviewLevel>;

/** The chain for a domain (or the default one), with each group's members and channels. */
export function chainFor(file: ReviewersFile, domain: string): Required<ReviewLevel>[] {
  const chain = file.escalation[domain] ?? file.escalation.default ?? [];
  return chain.map((group) => ({
    group,
    members: file.groups[group] ?? [],
    channels: file.notify[group] ?? [],
  }));
}
