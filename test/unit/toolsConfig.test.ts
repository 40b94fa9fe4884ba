// Declaring tools in agents.yaml: what is accepted, what is refused (exit 2, naming the field),
// and how a server's annotations become the flags policy decides on.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAgents } from '../../src/config/files.js';
import { hintsOf, toolLoopBounds } from '../../src/shared/tools.js';
import { withFunctionNames } from '../../src/tools/discover.js';
import { arbiter, hasStackTrace } from '../support/cli.js';
import { arbiterFailure } from '../support/failure.js';

const dir = mkdtempSync(join(tmpdir(), 'arbiter-tools-config-'));
let n = 0;
function agentsWith(endpoint: Record<string, unknown>): string {
  n += 1;
  const file = join(dir, `agents-${n}.yaml`);
  const agent = {
    id: 'tooler',
    description: 'd',
    capabilities: { domains: ['data'] },
    endpoint: { kind: 'openai', model: 'm', systemPrompt: 's', ...endpoint },
  };
  writeFileSync(file, JSON.stringify({ agents: [agent] }));
  return file;
}
const problems = (file: string, env: NodeJS.ProcessEnv = {}) => {
  const err = arbiterFailure(() => loadAgents(file, env));
  expect(err.exitCode).toBe(2);
  return err.toUserText();
};

describe('declaring tools', () => {
  it('accepts stdio and HTTP servers with allow lists, costs and bounds', () => {
    const file = agentsWith({
      tools: [
        { id: 'files', command: 'node', args: ['server.js'], env: ['GITHUB_TOKEN'], allow: ['read_file'] },
        {
          id: 'search',
          url: 'https://tools.example.com/mcp',
          costPerCallUsd: 0.01,
          tokenEnv: 'SEARCH_TOKEN',
        },
      ],
      maxTurns: 4,
    });
    const endpoint = loadAgents(file, { ARBITER_AGENT_HOSTS: 'tools.example.com' }).agents[0]!.endpoint;
    if (endpoint.kind !== 'openai') throw new Error('unreachable');
    expect(endpoint.tools?.map((t) => [t.id, t.timeout, t.costPerCallUsd])).toEqual([
      ['files', '30s', 0],
      ['search', '30s', 0.01],
    ]);
    expect(toolLoopBounds(endpoint)).toEqual({ maxTurns: 4, maxToolCalls: 16, maxToolResultBytes: 32_768 });
  });

  it('refuses environment values in the file: env lists names only', () => {
    const asMap = problems(
      agentsWith({ tools: [{ id: 'files', command: 'node', env: { GITHUB_TOKEN: 'ghp_secret' } }] }),
    );
    expect(asMap).toContain('agents[0].endpoint.tools[0].env: env lists the NAMES of environment variables');
    expect(asMap).not.toContain('ghp_secret');
    const asAssignment = problems(
      agentsWith({ tools: [{ id: 'files', command: 'node', env: ['GITHUB_TOKEN=ghp_x'] }] }),
    );
    expect(asAssignment).toContain('agents[0].endpoint.tools[0].env[0]');
  });

  it('names the field of each bad entry', () => {
    expect(problems(agentsWith({ tools: [{ id: 'both', command: 'node', url: 'http://x/mcp' }] }))).toContain(
      'agents[0].endpoint.tools[0].url: a tool server needs exactly one of command',
    );
    expect(problems(agentsWith({ tools: [{ id: 'neither' }] }))).toContain(
      'agents[0].endpoint.tools[0]: a tool server needs',
    );
    expect(problems(agentsWith({ tools: [{ id: 'ftp', url: 'ftp://x/mcp' }] }))).toContain(
      'agents[0].endpoint.tools[0].url: url must be an http:// or https:// URL',
    );
    expect(problems(agentsWith({ tools: [{ id: 'h', url: 'http://x/mcp', env: ['A'] }] }))).toContain(
      'agents[0].endpoint.tools[0].env: env is for stdio servers',
    );
    expect(
      problems(
        agentsWith({
          tools: [
            { id: 'a', url: 'http://x/mcp' },
            { id: 'a', url: 'http://y/mcp' },
          ],
        }),
      ),
    ).toContain('agents[0].endpoint.tools[1].id: duplicate tool server id "a"');
    expect(problems(agentsWith({ tools: [{ id: 'a', url: 'http://x/mcp', allow: [] }] }))).toContain(
      'agents[0].endpoint.tools[0].allow: allow needs at least one tool name',
    );
    expect(problems(agentsWith({ maxTurns: 5 }))).toContain(
      'agents[0].endpoint.maxTurns: maxTurns bounds the tool loop; it has no effect without tools',
    );
    expect(problems(agentsWith({ tools: [{ id: 'a', url: 'http://x/mcp' }], maxToolCalls: 0 }))).toContain(
      'agents[0].endpoint.maxToolCalls: maxToolCalls must be at least 1',
    );
    expect(
      problems(agentsWith({ tools: [{ id: 'a', url: 'http://x/mcp' }], maxToolResultBytes: 10_000_000 })),
    ).toContain('maxToolResultBytes must be at most 262144');
    expect(problems(agentsWith({ tools: [{ id: 'a', url: 'http://x/mcp', secret: 'x' }] }))).toContain(
      'agents[0].endpoint.tools[0]: Unrecognized key: "secret"',
    );
  });

  it('refuses an HTTP server outside ARBITER_AGENT_HOSTS when the file is loaded', () => {
    const file = agentsWith({ tools: [{ id: 'search', url: 'https://evil.example.net/mcp' }] });
    expect(problems(file, { ARBITER_AGENT_HOSTS: 'tools.example.com' })).toContain(
      'agents[0].endpoint.tools[0].url: evil.example.net is not in ARBITER_AGENT_HOSTS',
    );
    expect(loadAgents(file, {}).agents).toHaveLength(1); // no allowlist: every host
  });

  it('`arbiter check` refuses a bad tools entry with exit 2 and no stack trace', async () => {
    const file = agentsWith({ tools: [{ id: 'files', command: 'node', env: { TOKEN: 'abc' } }] });
    const r = await arbiter(['check', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('agents[0].endpoint.tools[0].env');
    expect(hasStackTrace(r.stderr)).toBe(false);
  });
});

describe('annotations are claims', () => {
  it('reads missing annotations the cautious way the MCP specification defines', () => {
    expect(hintsOf({})).toEqual({ readOnly: false, destructive: true, openWorld: true, idempotent: false });
    expect(hintsOf({ readOnlyHint: true })).toEqual({
      readOnly: true,
      destructive: false,
      openWorld: true,
      idempotent: false,
    });
    expect(hintsOf({ destructiveHint: false, openWorldHint: false })).toMatchObject({
      destructive: false,
      openWorld: false,
    });
  });

  it('lets the operator overrule a server’s claim', () => {
    // A server claiming read-only for a tool the operator knows deletes things.
    expect(hintsOf({ readOnlyHint: true }, { readOnly: false, destructive: true })).toMatchObject({
      readOnly: false,
      destructive: true,
    });
  });

  it('gives every tool a function name the model can call, unique across servers', () => {
    const tool = (server: string, name: string) => ({
      server,
      name,
      description: '',
      inputSchema: {},
      claims: {},
      hints: hintsOf({}),
      operatorAnnotated: false,
      costPerCallUsd: 0,
      timeoutMs: 30_000,
    });
    const named = withFunctionNames([
      tool('files', 'read.file'),
      tool('files', 'read_file'),
      tool('a-very-long-server-name-for-tools', 'and-an-even-longer-tool-name-that-goes-on'),
    ]).map((t) => t.functionName);
    expect(named[0]).toBe('files__read_file');
    expect(named[1]).toBe('files__read_file_2');
    expect(named[2]!.length).toBeLessThanOrEqual(64);
    expect(named.every((f) => /^[A-Za-z0-9_-]+$/.test(f))).toBe(true);
  });
});
