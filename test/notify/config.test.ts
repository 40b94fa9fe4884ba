// Notification channels in the reviewers file: validated like every config (a bad entry names the
// file and the field), checked by `arbiter check`, and handed on by chainFor level by level.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDocument, validate } from '../../src/config/files.js';
import { ArbiterError } from '../../src/shared/errors.js';
import { chainFor, ReviewersFile } from '../../src/shared/reviewers.js';
import { arbiter, hasStackTrace } from '../support/cli.js';
import { repoFile } from '../support/temporal.js';

const dir = mkdtempSync(join(tmpdir(), 'arbiter-reviewers-'));
const write = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

const HEAD = `
groups: { analysts: [alice], compliance: [dave] }
escalation: { default: [analysts, compliance], finance: [compliance] }
`;

/** The user-facing text of loading `yaml` as a reviewers file. */
function problems(yaml: string): string {
  const file = write('r.yaml', HEAD + yaml);
  try {
    validate(ReviewersFile, readDocument(file), file, 'reviewers file');
  } catch (err) {
    expect(err).toBeInstanceOf(ArbiterError);
    expect((err as ArbiterError).exitCode).toBe(2);
    return (err as ArbiterError).toUserText();
  }
  throw new Error('expected the file to be refused');
}

describe('notification channels in the reviewers file', () => {
  it('a secret written where a variable name belongs is refused, naming the field', () => {
    const text = problems(`
channels:
  team: { kind: webhook, url: "https://hooks.example.com/a", secretEnv: "s3cr3t-f00" }
`);
    expect(text).toContain('r.yaml: invalid reviewers file');
    expect(text).toContain('channels.team.secretEnv: the NAME of an environment variable');
  });

  it('each mistake names its field: kind, URL, addresses, credentials, unknown channels and groups', () => {
    expect(problems('channels: { a: { kind: pager } }')).toContain(
      'channels.a.kind: kind must be webhook, slack or email',
    );
    expect(problems('channels: { a: { kind: webhook, secretEnv: S } }')).toContain(
      'channels.a.url: a webhook needs exactly one of url',
    );
    expect(
      problems('channels: { a: { kind: webhook, url: "ftp://x.example.com", secretEnv: S } }'),
    ).toContain('channels.a.url: an http:// or https:// URL');
    // A Slack webhook URL is a credential: it can only come from the environment.
    expect(problems('channels: { a: { kind: slack, url: "https://hooks.slack.com/services/x" } }')).toContain(
      'channels.a.url: a Slack webhook URL is a credential: put it in an environment variable',
    );
    const mail = problems(`
channels:
  m: { kind: email, hostEnv: SMTP_HOST, userEnv: SMTP_USER, from: arbiter@example.com, to: [dave] }
`);
    expect(mail).toContain('channels.m.to[0]: an email address');
    expect(mail).toContain('channels.m.passwordEnv: SMTP credentials need both userEnv and passwordEnv');
    const refs = problems(`
channels: { hook: { kind: webhook, url: "https://hooks.example.com/a", secretEnv: HOOK_SECRET } }
notify: { analysts: [hook, pager], ghosts: [hook] }
`);
    expect(refs).toContain('notify.analysts[1]: unknown channel "pager"; define it under channels');
    expect(refs).toContain('notify.ghosts: unknown group "ghosts"; define it under groups');
    expect(problems('channels: { "bad id": { kind: slack, urlEnv: SLACK_URL } }')).toContain(
      'channels.bad id: a channel id is',
    );
  });

  it('chainFor hands each level its group, members and channels', () => {
    const file = validate(
      ReviewersFile,
      readDocument(
        write(
          'ok.yaml',
          `${HEAD}
channels:
  hook: { kind: webhook, url: "https://hooks.example.com/a", secretEnv: HOOK_SECRET }
  mail: { kind: email, hostEnv: SMTP_HOST, from: arbiter@example.com, to: [dave@example.com] }
notify: { analysts: [hook], compliance: [hook, mail] }
`,
        ),
      ),
      'ok.yaml',
      'reviewers file',
    );
    expect(chainFor(file, 'data')).toEqual([
      { group: 'analysts', members: ['alice'], channels: ['hook'] },
      { group: 'compliance', members: ['dave'], channels: ['hook', 'mail'] },
    ]);
    expect(chainFor(file, 'finance')).toEqual([
      { group: 'compliance', members: ['dave'], channels: ['hook', 'mail'] },
    ]);
    // Without channels the chain is unchanged, with nobody to notify.
    const plain = validate(
      ReviewersFile,
      readDocument(repoFile('config/reviewers.yaml')),
      'r',
      'reviewers file',
    );
    expect(chainFor(plain, 'data').map((l) => l.channels)).toEqual([[], []]);
  });

  it('arbiter check validates a reviewers file: exit 2 naming the file and field, or ok with notes', async () => {
    const bad = write(
      'bad.yaml',
      `${HEAD}channels: { team: { kind: slack, urlEnv: "https://hooks.slack.com/services/T/B/x" } }\n`,
    );
    const refused = await arbiter(['check', bad]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${bad}: invalid reviewers file`);
    expect(refused.stderr).toContain('channels.team.urlEnv: the NAME of an environment variable');
    expect(hasStackTrace(refused.stderr)).toBe(false);

    const good = write(
      'good.yaml',
      `${HEAD}channels: { team: { kind: slack, urlEnv: TEST_CHECK_SLACK_URL } }\nnotify: { analysts: [team] }\n`,
    );
    const unset = await arbiter(['check', good]);
    expect(unset.code).toBe(0);
    expect(unset.stdout).toContain(
      `ok: ${good} is a valid reviewers file (2 groups, 1 notification channel)`,
    );
    expect(unset.stdout).toContain('note: channels.team.urlEnv: TEST_CHECK_SLACK_URL is not set');
    const shipped = await arbiter(['check', repoFile('config/reviewers.yaml')]);
    expect(shipped.code).toBe(0);
    expect(shipped.stdout).toContain('is a valid reviewers file');
  });
});
