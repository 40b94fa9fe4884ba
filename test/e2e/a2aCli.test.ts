// The command line for A2A agents, as a user runs it: `arbiter check` reads the cards of an agents
// file's A2A agents (a malformed card is exit 2 naming the agent and the card field; a card refused
// by the allowlist likewise; one that does not answer is a warning); `arbiter agents import` prints
// a reviewable entry and `--write` appends it only when the whole file stays valid; a worker does
// not start on a malformed card.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { arbiter, hasStackTrace } from '../support/cli.js';
import { startA2aServer, type A2aTestServer } from '../support/a2aServer.js';

let good: A2aTestServer;
let bad: A2aTestServer;
let foreign: A2aTestServer;

beforeAll(async () => {
  [good, bad, foreign] = await Promise.all([
    startA2aServer({
      mode: 'instant',
      name: 'Acme Market Analyst',
      skills: [
        { id: 'trends', name: 'Market trends', tags: ['analytics', 'Marketing', 'forecasting-x'] },
        { id: 'brief', name: 'Briefs', tags: ['campaign'] },
      ],
    }),
    startA2aServer({
      mode: 'instant',
      rawCard: () => ({
        name: 'Broken',
        version: '1.0.0',
        supportedInterfaces: [{ protocolBinding: 'JSONRPC', protocolVersion: '1.0' }],
      }),
    }),
    startA2aServer({ mode: 'instant', serviceUrl: 'http://a2a.example.com/rpc' }),
  ]);
});
afterAll(async () => {
  await Promise.all([good.close(), bad.close(), foreign.close()]);
});

const dir = () => mkdtempSync(join(tmpdir(), 'arbiter-a2a-cli-'));

function agentsFile(entries: { id: string; card: string; skill?: string }[]): string {
  const file = join(dir(), 'agents.yaml');
  const yaml = entries
    .map(
      (e) => `  - id: ${e.id}
    description: an A2A agent
    capabilities: { domains: [data] }
    endpoint: { kind: a2a, card: '${e.card}'${e.skill ? `, skill: ${e.skill}` : ''} }`,
    )
    .join('\n');
  writeFileSync(file, `agents:\n${yaml}\n`);
  return file;
}

describe('arbiter check with A2A agents', () => {
  it('reads the cards: ok names them; a malformed card is exit 2 naming the agent and the card field', async () => {
    const ok = await arbiter(['check', agentsFile([{ id: 'acme', card: good.cardUrl, skill: 'trends' }])]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('A2A cards read: acme: "Acme Market Analyst" 2.1.0');

    const broken = await arbiter([
      'check',
      agentsFile([
        { id: 'acme', card: good.cardUrl },
        { id: 'broken', card: bad.cardUrl },
      ]),
    ]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('agents[1].endpoint.card (agent broken)');
    expect(broken.stderr).toContain('supportedInterfaces[0].url');
    expect(hasStackTrace(broken.stderr)).toBe(false);
  });

  it('a skill the card does not list, a service on another host, or a card outside the allowlist: exit 2', async () => {
    const skill = await arbiter(['check', agentsFile([{ id: 'acme', card: good.cardUrl, skill: 'poetry' }])]);
    expect(skill.code).toBe(2);
    expect(skill.stderr).toContain('agents[0].endpoint.skill (agent acme)');
    expect(skill.stderr).toContain('it lists: trends, brief');

    const elsewhere = await arbiter(['check', agentsFile([{ id: 'sly', card: foreign.cardUrl }])]);
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toContain('a2a.example.com');

    const hosts = await arbiter(['check', agentsFile([{ id: 'acme', card: good.cardUrl }])], {
      ARBITER_AGENT_HOSTS: 'agents.example.com',
    });
    expect(hosts.code).toBe(2);
    expect(hosts.stderr).toContain('ARBITER_AGENT_HOSTS');
  });

  it('a card that does not answer is a warning, not an error', async () => {
    const down = await arbiter([
      'check',
      agentsFile([{ id: 'later', card: `${good.base}/nothing-here.json` }]),
    ]);
    expect(down.code).toBe(0);
    expect(down.stderr).toContain('warning: agent later');
    expect(down.stderr).toContain('HTTP 404');
  });

  it('a secret written in the file is refused, pointing at auth.env', async () => {
    const file = join(dir(), 'agents.yaml');
    writeFileSync(
      file,
      `agents:
  - id: acme
    description: an A2A agent
    capabilities: { domains: [data] }
    endpoint: { kind: a2a, card: '${good.cardUrl}', auth: { header: Authorization, token: 'Bearer abc' } }
`,
    );
    const res = await arbiter(['check', file]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('agents[0].endpoint.auth.token');
    expect(res.stderr).toContain('auth.env');
  });

  it('a worker does not start on a malformed card (exit 2, nothing polled)', async () => {
    const res = await arbiter(['worker'], {
      ARBITER_AGENTS: agentsFile([{ id: 'broken', card: bad.cardUrl }]),
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      ARBITER_METRICS_PORT: 'off',
      ARBITER_DATA_DIR: dir(),
    });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('agents[0].endpoint.card (agent broken)');
  });
});

describe('arbiter agents import', () => {
  it('prints a reviewable entry: id from the name, domains from skill tags, clearance public, no trust', async () => {
    const res = await arbiter(['agents', 'import', good.cardUrl]);
    expect(res.code).toBe(0);
    const [entry] = parse(res.stdout) as Record<string, unknown>[];
    expect(entry).toEqual({
      id: 'acme-market-analyst',
      description: 'Writes reports for tests',
      // `analytics` is a keyword of data, `Marketing` and `campaign` name marketing.
      capabilities: { domains: ['data', 'marketing'] },
      endpoint: { kind: 'a2a', card: good.cardUrl },
      clearance: 'public',
    });
    expect(res.stdout).toContain('Skills: trends [analytics, Marketing, forecasting-x]; brief [campaign]');
    expect(res.stdout).not.toMatch(/trust:/);
  });

  it('--write appends after validating the whole file; a duplicate id writes nothing (exit 2)', async () => {
    const file = join(dir(), 'agents.yaml');
    writeFileSync(
      file,
      `# our agents\nagents:\n  - id: analyst\n    description: builtin\n    capabilities: { domains: [data] }\n    endpoint: { kind: builtin, name: report }\n`,
    );
    const added = await arbiter(['agents', 'import', good.cardUrl, '--write', file]);
    expect(added.code).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# our agents');
    expect((parse(text) as { agents: { id: string }[] }).agents.map((a) => a.id)).toEqual([
      'analyst',
      'acme-market-analyst',
    ]);
    expect((await arbiter(['check', file])).code).toBe(0);
    const again = await arbiter(['agents', 'import', good.cardUrl, '--write', file]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('duplicate agent id "acme-market-analyst"');
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('a malformed card: exit 2 naming the card field', async () => {
    const res = await arbiter(['agents', 'import', bad.cardUrl]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('supportedInterfaces[0].url');
    expect(hasStackTrace(res.stderr)).toBe(false);
  });
});

describe('arbiter agents', () => {
  it("shows an A2A agent's card (name, version, protocol, skills) beside what was measured", async () => {
    const res = await arbiter(['agents', '--json'], {
      ARBITER_AGENTS: agentsFile([{ id: 'acme', card: good.cardUrl }]),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: `a2a-cli-${Date.now().toString(36)}`,
      ARBITER_DATA_DIR: dir(),
    });
    expect(res.code).toBe(0);
    const report = JSON.parse(res.stdout) as { agents: { id: string; card?: object }[] };
    expect(report.agents[0]).toMatchObject({
      id: 'acme',
      endpoint: 'a2a',
      card: {
        name: 'Acme Market Analyst',
        version: '2.1.0',
        protocol: '1.0',
        service: `${good.base}/a2a`,
        skills: [
          { id: 'trends', name: 'Market trends', tags: ['analytics', 'Marketing', 'forecasting-x'] },
          { id: 'brief', name: 'Briefs', tags: ['campaign'] },
        ],
      },
    });
    const text = await arbiter(['agents'], {
      ARBITER_AGENTS: agentsFile([{ id: 'acme', card: good.cardUrl }]),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: `a2a-cli-${Date.now().toString(36)}`,
      ARBITER_DATA_DIR: dir(),
    });
    expect(text.stdout).toContain('card          "Acme Market Analyst" 2.1.0, A2A 1.0 at');
    expect(text.stdout).toContain('skills        trends (Market trends), brief (Briefs)');
  });
});
