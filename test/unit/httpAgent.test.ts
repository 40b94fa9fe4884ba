// http agents: signed requests an agent can verify, a host allowlist enforced before any request,
// and answers validated before use — against a real local HTTP server.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  runHttp,
  secretEnvName,
  sign,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifySignature,
} from '../../src/agents/http.js';
import { Agent } from '../../src/shared/agent.js';
import { Contract } from '../../src/shared/contract.js';
import type { AgentCall } from '../../src/agents/types.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}
const received: Received[] = [];
let answer: { status: number; body: string } = { status: 200, body: '{"output":{"ok":true}}' };
let server: Server;
let port: number;
const SECRET = 'agent-secret-for-tests';

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      if (req.url === '/redirect') {
        res.writeHead(302, { location: '/final' });
        return res.end();
      }
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function callTo(url: string, id = 'remote-agent'): AgentCall {
  return {
    agent: Agent.parse({
      id,
      description: 'a remote agent',
      capabilities: { domains: ['data'] },
      endpoint: { kind: 'http', url },
    }),
    contract: Contract.parse({ id: 'c1', title: 'T', objective: 'O' }),
    input: { previous: 1 },
    idempotencyKey: 'contract/c1:execute:1',
    attempt: 1,
    signal: new AbortController().signal,
  };
}

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  }
  throw new Error('expected a failure');
}

describe('http agents', () => {
  it('signs the request with the per-agent secret; the agent-side helper verifies it', async () => {
    received.length = 0;
    answer = { status: 200, body: '{"output":{"ok":true},"usage":{"costUsd":0.01}}' };
    const env = { [secretEnvName('remote-agent')]: SECRET };
    expect(secretEnvName('remote-agent')).toBe('ARBITER_AGENT_SECRET_REMOTE_AGENT');
    const result = await runHttp(callTo(`http://127.0.0.1:${port}/run`), env);
    expect(result).toEqual({ output: { ok: true }, usage: { costUsd: 0.01 } });
    const [req] = received;
    const ts = req!.headers[TIMESTAMP_HEADER] as string;
    const sig = req!.headers[SIGNATURE_HEADER] as string;
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(JSON.parse(req!.body)).toMatchObject({
      contractId: 'c1',
      idempotencyKey: 'contract/c1:execute:1',
    });
    expect(verifySignature(SECRET, ts, req!.body, sig)).toBe(true);
    // A different secret, an altered body, or an old timestamp (replay) fail verification.
    expect(verifySignature('other-secret', ts, req!.body, sig)).toBe(false);
    expect(verifySignature(SECRET, ts, req!.body.replace('c1', 'c2'), sig)).toBe(false);
    expect(verifySignature(SECRET, ts, req!.body, sig, Number(ts) + 10 * 60_000, 5 * 60_000)).toBe(false);
    expect(verifySignature(SECRET, undefined, req!.body, sig)).toBe(false);
    expect(sign(SECRET, ts, req!.body)).toBe(sig);
  });

  it('sends no signature headers when the agent has no secret', async () => {
    received.length = 0;
    answer = { status: 200, body: '{"output":"x"}' };
    await runHttp(callTo(`http://127.0.0.1:${port}/run`), {});
    expect(received[0]!.headers[SIGNATURE_HEADER]).toBeUndefined();
    expect(received[0]!.headers[TIMESTAMP_HEADER]).toBeUndefined();
  });

  it('refuses a URL outside ARBITER_AGENT_HOSTS, non-retryably, without sending anything', async () => {
    received.length = 0;
    answer = { status: 200, body: '{"output":"x"}' };
    const url = `http://127.0.0.1:${port}/run`;
    for (const hosts of ['agents.example.com', `127.0.0.1:${port + 1}`, 'localhost']) {
      const err = await failureOf(runHttp(callTo(url), { ARBITER_AGENT_HOSTS: hosts }));
      expect(err.type).toBe('refused');
      expect(err.nonRetryable).toBe(true);
      expect(err.message).toContain('ARBITER_AGENT_HOSTS');
    }
    expect(received).toHaveLength(0);
    // Listed by host (any port) or by host:port: called.
    await runHttp(callTo(url), { ARBITER_AGENT_HOSTS: 'agents.example.com, 127.0.0.1' });
    await runHttp(callTo(url), { ARBITER_AGENT_HOSTS: `127.0.0.1:${port}` });
    expect(received).toHaveLength(2);
  });

  it('treats a malformed answer as invalid output and a redirect as a refused attempt', async () => {
    answer = { status: 200, body: '{"result": 1}' };
    expect((await failureOf(runHttp(callTo(`http://127.0.0.1:${port}/`), {}))).type).toBe('invalid-output');
    answer = { status: 200, body: 'not json' };
    expect((await failureOf(runHttp(callTo(`http://127.0.0.1:${port}/`), {}))).type).toBe('invalid-output');
    answer = { status: 200, body: '{"output":"from the redirect target"}' };
    expect((await failureOf(runHttp(callTo(`http://127.0.0.1:${port}/redirect`), {}))).type).toBe('refused');
  });
});
