// A configured channel made ready to send: its secrets read from the environment (at send time, so
// a rotated secret needs only a restart), and a target description that never contains one.
import { badInput } from '../shared/errors.js';
import { channelEnv, type Channel, type ReviewersFile } from '../shared/reviewers.js';
import { notifyFailure } from './failure.js';
import { NOTIFY_FAILURES } from './request.js';

export interface WebhookTarget {
  kind: 'webhook';
  url: URL;
  secret: string;
}
export interface SlackTarget {
  kind: 'slack';
  url: URL;
}
export interface EmailTarget {
  kind: 'email';
  host: string;
  port: number;
  tls: 'starttls' | 'implicit' | 'none';
  auth?: { user: string; pass: string };
  from: string;
  to: string[];
}
export type ResolvedTarget = WebhookTarget | SlackTarget | EmailTarget;

export interface ResolvedChannel {
  id: string;
  target: ResolvedTarget;
  /** Where messages go, safe to log and record: no credentials, no secret URL parts. */
  description: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Every environment variable the file's channels name that is unset here, as `channels.ID.field: NAME`. */
export function missingChannelEnv(file: ReviewersFile, env: Env): string[] {
  return Object.entries(file.channels).flatMap(([id, channel]) =>
    channelEnv(channel)
      .filter(({ name }) => !env[name])
      .map(({ field, name }) => `channels.${id}.${field}: ${name} is not set; set it in the environment`),
  );
}

/** For worker start: a channel whose secrets are missing is bad input, before anything runs. */
export function checkChannelEnv(file: ReviewersFile, path: string, env: Env = process.env): void {
  const missing = missingChannelEnv(file, env);
  if (missing.length > 0) {
    throw badInput(`${path}: notification channels name environment variables that are not set`, missing);
  }
}

function httpUrl(value: string, where: string, id: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw notifyFailure(NOTIFY_FAILURES.misconfigured, `${where} is not a URL`, { channel: id });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw notifyFailure(NOTIFY_FAILURES.misconfigured, `${where} is not an http(s) URL`, { channel: id });
  }
  return url;
}

export function resolveChannel(id: string, channel: Channel, env: Env): ResolvedChannel {
  const read = (field: string, name: string): string => {
    const value = env[name];
    if (!value) {
      throw notifyFailure(
        NOTIFY_FAILURES.misconfigured,
        `${name} (channels.${id}.${field}) is not set in the worker's environment`,
        { channel: id, kind: channel.kind },
      );
    }
    return value;
  };
  switch (channel.kind) {
    case 'webhook': {
      const url = channel.url
        ? httpUrl(channel.url, `channels.${id}.url`, id)
        : httpUrl(read('urlEnv', channel.urlEnv ?? ''), `$${channel.urlEnv}`, id);
      const description = channel.url
        ? `${url.origin}${url.pathname}`
        : `${url.origin} (URL from $${channel.urlEnv})`;
      return {
        id,
        target: { kind: 'webhook', url, secret: read('secretEnv', channel.secretEnv) },
        description,
      };
    }
    case 'slack': {
      // The whole URL is the credential: only its host is ever shown.
      const url = httpUrl(read('urlEnv', channel.urlEnv), `$${channel.urlEnv}`, id);
      return {
        id,
        target: { kind: 'slack', url },
        description: `${url.origin} (URL from $${channel.urlEnv})`,
      };
    }
    case 'email': {
      const host = read('hostEnv', channel.hostEnv);
      const portText = channel.portEnv ? read('portEnv', channel.portEnv) : undefined;
      const port = portText === undefined ? (channel.tls === 'implicit' ? 465 : 587) : Number(portText);
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw notifyFailure(
          NOTIFY_FAILURES.misconfigured,
          `${channel.portEnv} (channels.${id}.portEnv) is not a port number`,
          { channel: id, kind: 'email' },
        );
      }
      const auth =
        channel.userEnv && channel.passwordEnv
          ? { user: read('userEnv', channel.userEnv), pass: read('passwordEnv', channel.passwordEnv) }
          : undefined;
      return {
        id,
        target: {
          kind: 'email',
          host,
          port,
          tls: channel.tls,
          ...(auth ? { auth } : {}),
          from: channel.from,
          to: channel.to,
        },
        description: `smtp://${host}:${port} to ${channel.to.join(', ')}`,
      };
    }
  }
}
