// MCP tools through the activities a tool loop runs: discovery over stdio and streamable HTTP,
// allow-list narrowing, calls that run once per idempotency key, the result size cap, and the
// connection pool — against the repo's real MCP server (examples/mcp/files-server.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toolActivities } from '../../src/activities/tools.js';
import { ToolServer } from '../../src/shared/tools.js';
import { callMcpTool } from '../../src/tools/call.js';
import { ToolConnections } from '../../src/tools/connections.js';
import { serverEnv } from '../../src/tools/transport.js';
import {
  filesFolder,
  journalOf,
  startHttpFilesServer,
  stdioEntry,
  type FilesFolder,
  type HttpFilesServer,
} from '../support/filesServer.js';
import { toolAgent, toolDeps } from '../support/toolAgents.js';

const pools: ToolConnections[] = [];
function activitiesFor(agents: Record<string, unknown>[], pool = new ToolConnections()) {
  pools.push(pool);
  return toolActivities(toolDeps(agents), pool);
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.closeAll()));
});

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  }
  throw new Error('expected the step to fail');
}

describe('discovering tools', () => {
  let folder: FilesFolder;
  let http: HttpFilesServer;
  beforeAll(async () => {
    folder = filesFolder();
    http = await startHttpFilesServer(folder);
  });
  afterAll(() => http.close());

  it('lists a stdio server’s tools with the flags policy decides on', async () => {
    const acts = activitiesFor([toolAgent('tooler', { tools: [stdioEntry(folder)] })]);
    const found = await acts.discoverTools({ agentId: 'tooler' });
    expect(found.servers).toEqual([
      expect.objectContaining({
        id: 'files',
        transport: 'stdio',
        serverName: 'arbiter-example-files',
        offered: 6,
        kept: 6,
        notOffered: [],
      }),
    ]);
    const byName = new Map(found.tools.map((t) => [t.name, t]));
    expect([...byName.keys()].sort()).toEqual([
      'delete_file',
      'fetch_url',
      'list_files',
      'read_file',
      'read_inbox',
      'write_file',
    ]);
    expect(byName.get('read_file')).toMatchObject({
      functionName: 'files__read_file',
      hints: { readOnly: true, destructive: false, openWorld: false, idempotent: false },
      claims: { readOnlyHint: true, openWorldHint: false },
      operatorAnnotated: false,
    });
    expect(byName.get('read_file')?.inputSchema).toMatchObject({ required: ['path'] });
    expect(byName.get('delete_file')?.hints).toEqual({
      readOnly: false,
      destructive: true,
      openWorld: false,
      idempotent: true,
    });
    expect(byName.get('fetch_url')?.hints).toMatchObject({ readOnly: true, openWorld: true });
  });

  it('lists the same tools over streamable HTTP', async () => {
    const acts = activitiesFor([toolAgent('tooler', { tools: [{ id: 'remote', url: http.url }] })]);
    const found = await acts.discoverTools({ agentId: 'tooler' });
    expect(found.servers[0]).toMatchObject({ id: 'remote', transport: 'http', offered: 6 });
    expect(found.tools.map((t) => t.functionName)).toContain('remote__write_file');
    expect(found.tools.find((t) => t.name === 'write_file')?.hints.destructive).toBe(true);
  });

  it('offers only what allow names, and says which allowed names the server lacks', async () => {
    const acts = activitiesFor([
      toolAgent('reader', {
        tools: [stdioEntry(folder, { allow: ['read_file', 'list_files', 'read_everything'], timeout: '5s' })],
      }),
    ]);
    const found = await acts.discoverTools({ agentId: 'reader' });
    expect(found.tools.map((t) => t.name).sort()).toEqual(['list_files', 'read_file']);
    expect(found.servers[0]).toMatchObject({ offered: 6, kept: 2, notOffered: ['read_everything'] });
    expect(found.tools.map((t) => t.timeoutMs)).toEqual([5_000, 5_000]);
  });

  it('takes the operator’s statement about a tool over its server’s claim', async () => {
    const acts = activitiesFor([
      toolAgent('tooler', {
        tools: [{ id: 'remote', url: http.url, annotations: { fetch_url: { openWorld: false } } }],
      }),
    ]);
    const fetchUrl = (await acts.discoverTools({ agentId: 'tooler' })).tools.find(
      (t) => t.name === 'fetch_url',
    );
    expect(fetchUrl?.claims.openWorldHint).toBe(true);
    expect(fetchUrl?.hints.openWorld).toBe(false);
    expect(fetchUrl?.operatorAnnotated).toBe(true);
  });

  it('refuses, without retrying, a host outside ARBITER_AGENT_HOSTS and a missing env variable', async () => {
    const deps = toolDeps([toolAgent('tooler', { tools: [{ id: 'remote', url: http.url }] })]);
    const guarded = new ToolConnections({ env: { ARBITER_AGENT_HOSTS: 'tools.example.com' } });
    pools.push(guarded);
    const host = await failureOf(toolActivities(deps, guarded).discoverTools({ agentId: 'tooler' }));
    expect(host.type).toBe('refused');
    expect(host.nonRetryable).toBe(true);
    expect(host.message).toContain('not in ARBITER_AGENT_HOSTS');

    const needsVar = activitiesFor([
      toolAgent('tooler', { tools: [stdioEntry(folder, { env: ['ARBITER_TEST_UNSET_VARIABLE'] })] }),
    ]);
    const missing = await failureOf(needsVar.discoverTools({ agentId: 'tooler' }));
    expect(missing.type).toBe('refused');
    expect(missing.message).toContain('ARBITER_TEST_UNSET_VARIABLE');
  });

  it('passes a stdio server only the variables it names', () => {
    const server = ToolServer.parse({ id: 's', command: 'x', env: ['GITHUB_TOKEN'] });
    const env = serverEnv(server, { GITHUB_TOKEN: 'gh', OPENAI_API_KEY: 'sk', ARBITER_CODEC_KEYS: 'k' });
    expect(env).toEqual({ GITHUB_TOKEN: 'gh' });
  });

  it('fails a server that cannot start as a refusal naming it, not as a crash', async () => {
    const acts = activitiesFor([
      toolAgent('tooler', { tools: [{ id: 'ghost', command: '/nonexistent/mcp-server-binary' }] }),
    ]);
    const failure = await failureOf(acts.discoverTools({ agentId: 'tooler' }));
    expect(failure.message).toContain('tool server ghost');
    expect(failure.type).toBe('refused');
  });
});

describe('calling a tool', () => {
  it('runs a call once: a retry with the same idempotency key gets the first result', async () => {
    const folder = filesFolder();
    const acts = activitiesFor([toolAgent('tooler', { tools: [stdioEntry(folder)] })]);
    const call = {
      agentId: 'tooler',
      server: 'files',
      tool: 'write_file',
      arguments: { path: 'notes/out.md', content: 'first' },
      idempotencyKey: 'contract/c1/tool/2/call_1',
    };
    const first = await acts.callTool(call);
    expect(first).toMatchObject({ isError: false, text: 'wrote 5 bytes to notes/out.md', truncated: false });
    expect(readFileSync(join(folder.root, 'notes/out.md'), 'utf8')).toBe('first');

    // Someone changes the file; a retried step (same key) must not write it again.
    writeFileSync(join(folder.root, 'notes/out.md'), 'changed since');
    const retried = await acts.callTool(call);
    expect(retried.text).toBe(first.text);
    expect(readFileSync(join(folder.root, 'notes/out.md'), 'utf8')).toBe('changed since');

    const seen = journalOf(folder).filter((e) => e.key === call.idempotencyKey);
    expect(seen.map((e) => e.replayed)).toEqual([false, true]);
    expect(seen[0]?.args).toEqual(call.arguments);
  });

  it('returns the result and its size, and reports a tool’s own error as data', async () => {
    const folder = filesFolder();
    const acts = activitiesFor([
      toolAgent('tooler', { tools: [stdioEntry(folder, { costPerCallUsd: 0.002 })] }),
    ]);
    const read = await acts.callTool({
      agentId: 'tooler',
      server: 'files',
      tool: 'read_file',
      arguments: { path: 'notes/welcome.md' },
      idempotencyKey: 'k-read',
    });
    const content = readFileSync(join(folder.root, 'notes/welcome.md'), 'utf8');
    expect(read).toMatchObject({
      text: content,
      bytes: Buffer.byteLength(content),
      isError: false,
      costUsd: 0.002,
    });
    expect(read.durationMs).toBeGreaterThanOrEqual(0);

    const missing = await acts.callTool({
      agentId: 'tooler',
      server: 'files',
      tool: 'read_file',
      arguments: { path: 'notes/absent.md' },
      idempotencyKey: 'k-missing',
    });
    expect(missing.isError).toBe(true);
    expect(missing.text).toContain('no such file');
  });

  it('cuts a result at the agent’s maxToolResultBytes and records its full size', async () => {
    const folder = filesFolder();
    const big = 'é'.repeat(5_000); // 10,000 bytes of two-byte characters
    writeFileSync(join(folder.root, 'notes/big.md'), big);
    const acts = activitiesFor([
      toolAgent('tooler', { tools: [stdioEntry(folder)], maxToolResultBytes: 1_001 }),
    ]);
    const r = await acts.callTool({
      agentId: 'tooler',
      server: 'files',
      tool: 'read_file',
      arguments: { path: 'notes/big.md' },
      idempotencyKey: 'k-big',
    });
    expect(r.truncated).toBe(true);
    expect(r.bytes).toBe(10_000);
    expect(r.text).toBe('é'.repeat(500)); // never half a character
  });

  it('refuses a tool the agent’s allow list leaves out, before any server is asked', async () => {
    const folder = filesFolder();
    const acts = activitiesFor([
      toolAgent('reader', { tools: [stdioEntry(folder, { allow: ['read_file'] })] }),
    ]);
    const failure = await failureOf(
      acts.callTool({
        agentId: 'reader',
        server: 'files',
        tool: 'delete_file',
        arguments: { path: 'notes/welcome.md' },
        idempotencyKey: 'k-del',
      }),
    );
    expect(failure.type).toBe('refused');
    expect(failure.message).toContain('allow list');
    expect(journalOf(folder)).toEqual([]);
  });
});

describe('connections', () => {
  it('reuses one server per contract, closes it when idle, and replaces one that died', async () => {
    const folder = filesFolder();
    const pool = new ToolConnections({ idleMs: 200 });
    const acts = activitiesFor([toolAgent('tooler', { tools: [stdioEntry(folder)] })], pool);
    const server = ToolServer.parse(stdioEntry(folder));
    const pidOf = () =>
      pool.use(server, 'direct', ({ opened }) => Promise.resolve(opened.pid()), { timeoutMs: 20_000 });

    await acts.discoverTools({ agentId: 'tooler' });
    const pid = await pidOf();
    await acts.callTool({
      agentId: 'tooler',
      server: 'files',
      tool: 'list_files',
      arguments: {},
      idempotencyKey: 'k-list',
    });
    expect(await pidOf()).toBe(pid);
    expect(pool.size).toBe(1);

    // The server dies between calls: the next call starts a new one and succeeds.
    process.kill(pid!, 'SIGKILL');
    const deadline = Date.now() + 30_000;
    let listed;
    while (!listed && Date.now() < deadline) {
      listed = await acts
        .callTool({
          agentId: 'tooler',
          server: 'files',
          tool: 'list_files',
          arguments: {},
          idempotencyKey: 'k-list-2',
        })
        .catch(() => undefined);
    }
    expect(listed?.text).toContain('notes/welcome.md');
    expect(await pidOf()).not.toBe(pid);

    // Unused, it is closed.
    while (pool.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(pool.size).toBe(0);
  });
});

describe('cancelling a call', () => {
  it('aborts the running call and tells the server, which stops its own work', async () => {
    // A web page that never answers, and notices when its caller gives up.
    let asked = 0;
    let dropped = 0;
    const hanging = createServer((req) => {
      asked += 1;
      req.socket.on('close', () => (dropped += 1));
    });
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/slow`;
    try {
      const folder = filesFolder();
      const pool = new ToolConnections();
      pools.push(pool);
      const server = ToolServer.parse(stdioEntry(folder));
      const abort = new AbortController();
      const call = pool.use(
        server,
        'cancel-test',
        ({ client }) =>
          callMcpTool(
            client,
            'fetch_url',
            { url },
            {
              timeoutMs: 120_000,
              signal: abort.signal,
              idempotencyKey: 'k-slow',
              maxBytes: 1_000,
            },
          ),
        { timeoutMs: 20_000, signal: abort.signal },
      );
      const outcome = call.then(
        () => 'finished',
        (err: Error) => err.message,
      );
      const deadline = Date.now() + 60_000;
      while (asked === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(asked).toBe(1);
      abort.abort();
      expect(await outcome).toContain('aborted');
      // The MCP cancellation reaches the server, whose fetch is aborted in turn.
      while (dropped === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(dropped).toBe(1);
    } finally {
      hanging.closeAllConnections();
      hanging.close();
    }
  });
});
