// A2A agents against a real A2A server (the official SDK's server side on 127.0.0.1): cards of
// protocol 1.0 and 0.3, the host allowlist over card and service URL, and one attempt's work:
// send, follow, answer; failures as Arbiter's categories; a question handed back as `pending`; a
// resumed attempt following the same remote task instead of sending a second message.
import { ApplicationFailure } from '@temporalio/common';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCard } from '../../src/agents/a2a/card.js';
import { AgentCardError } from '../../src/agents/a2a/errors.js';
import { fetchCard } from '../../src/agents/a2a/fetchCard.js';
import { contextIdFor, messageIdFor } from '../../src/agents/a2a/ids.js';
import type { A2aProgress } from '../../src/agents/a2a/progress.js';
import { runA2a, type A2aHooks } from '../../src/agents/a2a/run.js';
import type { AgentCall } from '../../src/agents/types.js';
import { Agent } from '../../src/shared/agent.js';
import { Contract } from '../../src/shared/contract.js';
import { startA2aServer, type A2aServerOptions, type A2aTestServer } from '../support/a2aServer.js';

const servers: A2aTestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(opts: A2aServerOptions): Promise<A2aTestServer> {
  const s = await startA2aServer(opts);
  servers.push(s);
  return s;
}

let seq = 0;
function callTo(
  cardUrl: string,
  over: { endpoint?: object; attempt?: number; signal?: AbortSignal } = {},
): AgentCall {
  seq += 1;
  return {
    agent: Agent.parse({
      id: 'remote-a2a',
      description: 'an A2A agent',
      capabilities: { domains: ['data'] },
      endpoint: { kind: 'a2a', card: cardUrl, ...over.endpoint },
    }),
    contract: Contract.parse({
      id: `c${seq}`,
      title: 'Engagement dashboard',
      objective: 'Design the dashboard',
      acceptanceCriteria: ['lists the metrics'],
    }),
    input: { previous: 1 },
    idempotencyKey: `contract/c${seq}-${Date.now()}/execute-1`,
    attempt: over.attempt ?? 1,
    signal: over.signal ?? new AbortController().signal,
  };
}

function hooks(over: Partial<A2aHooks> = {}): A2aHooks & { beats: (A2aProgress | undefined)[] } {
  const beats: (A2aProgress | undefined)[] = [];
  return {
    beats,
    heartbeat: (d) => beats.push(d),
    workAbandoned: () => false,
    env: {},
    pollMs: 200,
    ...over,
  };
}

/** Polls `cond` until it holds (generous deadline: the machine may be loaded). */
async function until(cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
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

async function cardErrorOf(p: Promise<unknown>): Promise<AgentCardError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AgentCardError);
    return err as AgentCardError;
  }
  throw new Error('expected an AgentCardError');
}

describe('Agent Cards', () => {
  const url = 'http://127.0.0.1:1/.well-known/agent-card.json';

  it('takes the JSON-RPC interface of protocol 1.0 from a 1.0 card, preferring 1.0 over 0.3', () => {
    const info = parseCard(
      {
        name: 'Agent',
        version: '1.2.0',
        supportedInterfaces: [
          { url: 'http://127.0.0.1:1/rest', protocolBinding: 'HTTP+JSON', protocolVersion: '1.0' },
          { url: 'http://127.0.0.1:1/old', protocolBinding: 'JSONRPC', protocolVersion: '0.3' },
          { url: 'http://127.0.0.1:1/rpc', protocolBinding: 'JSONRPC', protocolVersion: '1.0.0' },
        ],
        skills: [{ id: 'sum', name: 'Summaries', tags: ['data'] }],
      },
      url,
    );
    expect(info.service).toEqual({ url: 'http://127.0.0.1:1/rpc', version: '1.0' });
    expect(info.skills).toEqual([{ id: 'sum', name: 'Summaries', tags: ['data'] }]);
  });

  it('reads a 0.3 card (top-level url and protocolVersion)', () => {
    const info = parseCard(
      { name: 'Old', version: '1', url: 'http://127.0.0.1:1/', protocolVersion: '0.3.0', skills: [] },
      url,
    );
    expect(info.service).toEqual({ url: 'http://127.0.0.1:1/', version: '0.3' });
  });

  it('names the field of a malformed card, and refuses a card with no JSON-RPC interface it speaks', () => {
    const bad = (raw: unknown) => {
      try {
        parseCard(raw, url);
      } catch (err) {
        return err as AgentCardError;
      }
      throw new Error('expected an error');
    };
    const noUrl = bad({
      name: 'A',
      version: '1',
      supportedInterfaces: [{ protocolBinding: 'JSONRPC', protocolVersion: '1.0' }],
    });
    expect(noUrl.code).toBe('A2A_CARD_INVALID');
    expect(noUrl.field).toBe('supportedInterfaces[0].url');
    expect(noUrl.message).toContain('supportedInterfaces[0].url');
    expect(bad({ version: '1', url: 'http://127.0.0.1:1/' }).field).toBe('name');
    expect(bad({ name: 'A', version: '1' }).field).toBe('supportedInterfaces');
    const grpcOnly = bad({
      name: 'A',
      version: '1',
      supportedInterfaces: [{ url: 'http://127.0.0.1:1/', protocolBinding: 'GRPC', protocolVersion: '1.0' }],
    });
    expect(grpcOnly.message).toMatch(
      /no JSON-RPC interface of protocol 1.0 or 0.3 \(the card offers GRPC 1.0\)/,
    );
  });

  it('fetches a served card; refuses a card host outside ARBITER_AGENT_HOSTS without a request', async () => {
    const s = await server({ mode: 'instant' });
    const info = await fetchCard(s.cardUrl, { env: {} });
    expect(info.name).toBe('Test Report Agent');
    expect(info.version).toBe('2.1.0');
    expect(info.service).toEqual({ url: `${s.base}/a2a`, version: '1.0' });
    const refused = await cardErrorOf(
      fetchCard(s.cardUrl, { env: { ARBITER_AGENT_HOSTS: 'agents.example.com' } }),
    );
    expect(refused.code).toBe('A2A_HOST_REFUSED');
    expect(refused.message).toContain('ARBITER_AGENT_HOSTS');
  });

  it('refuses a card that points its service at another host, with or without an allowlist', async () => {
    const s = await server({ mode: 'instant', serviceUrl: 'http://a2a.example.com/rpc' });
    for (const env of [{}, { ARBITER_AGENT_HOSTS: '127.0.0.1' }]) {
      const err = await cardErrorOf(fetchCard(s.cardUrl, { env }));
      expect(err.code).toBe('A2A_HOST_REFUSED');
      expect(err.message).toContain('a2a.example.com');
    }
    // Listing both hosts is how an operator allows a service on another host.
    const info = await fetchCard(s.cardUrl, { env: { ARBITER_AGENT_HOSTS: '127.0.0.1,a2a.example.com' } });
    expect(info.service.url).toBe('http://a2a.example.com/rpc');
  });

  it('a card that is not JSON, or not reachable, is a typed error', async () => {
    const s = await server({ mode: 'instant', rawCard: () => 'not a card' });
    const invalid = await cardErrorOf(fetchCard(s.cardUrl, { env: {} }));
    expect(invalid.code).toBe('A2A_CARD_INVALID');
    const gone = await cardErrorOf(fetchCard(`${s.base}/missing.json`, { env: {} }));
    expect(gone.code).toBe('A2A_CARD_UNREACHABLE');
    expect(gone.message).toContain('HTTP 404');
  });
});

describe('one attempt on an A2A agent', () => {
  it('instant answer: one message with ids derived from the idempotency key; the data part is the output', async () => {
    const s = await server({ mode: 'instant' });
    const call = callTo(s.cardUrl);
    const h = hooks();
    const result = await runA2a(call, undefined, h);
    expect(result.kind).toBe('output');
    if (result.kind !== 'output') return;
    expect(result.output).toEqual({
      summary: 'done by the A2A agent: Engagement dashboard',
      criteria: ['lists the metrics'],
    });
    expect(s.sends).toHaveLength(1);
    expect(s.sends[0]!.messageId).toBe(messageIdFor(call.idempotencyKey));
    expect(s.sends[0]!.contextId).toBe(contextIdFor(call.idempotencyKey));
    expect(s.sends[0]!.text).toContain('Design the dashboard');
    expect(s.sends[0]!.data).toMatchObject({ contractId: call.contract.id, input: { previous: 1 } });
    expect(result.remote?.taskId).toBe(s.tasksStarted[0]);
    expect(result.remote?.states.at(-1)?.state).toBe('completed');
    // The task id was heartbeated as soon as it was known.
    expect(h.beats[0]).toMatchObject({ protocol: 'a2a', taskId: s.tasksStarted[0] });
  });

  it('a text artifact is the output when there is no data part', async () => {
    const s = await server({ mode: 'text' });
    const result = await runA2a(callTo(s.cardUrl), undefined, hooks());
    expect(result).toMatchObject({ kind: 'output', output: 'plain words from the agent' });
  });

  it('failed -> agent-error (retryable), rejected -> refused (straight to the fallback)', async () => {
    const failing = await server({ mode: 'failing' });
    const f = await failureOf(runA2a(callTo(failing.cardUrl), undefined, hooks()));
    expect(f.type).toBe('agent-error');
    expect(f.nonRetryable).toBe(false);
    expect(f.message).toContain('the model backend is down');
    expect(f.message).toContain(failing.tasksStarted[0]);
    const rejecting = await server({ mode: 'reject' });
    const r = await failureOf(runA2a(callTo(rejecting.cardUrl), undefined, hooks()));
    expect(r.type).toBe('refused');
    expect(r.nonRetryable).toBe(true);
    expect(r.message).toContain('I do not take this kind of work');
  });

  it('a retry after a failed task starts a new task (not the failed one again)', async () => {
    const s = await server({ mode: 'failing' });
    const call = callTo(s.cardUrl);
    const h = hooks();
    await failureOf(runA2a(call, undefined, h));
    const details = h.beats.find((b) => b !== undefined);
    await failureOf(runA2a({ ...call, attempt: 2 }, undefined, hooks({ resumed: details })));
    expect(s.tasksStarted).toHaveLength(2);
    expect(s.sends[1]!.messageId).not.toBe(s.sends[0]!.messageId);
  });

  it('refuses a service host outside the allowlist before sending anything', async () => {
    const s = await server({ mode: 'instant', serviceUrl: 'http://a2a.example.com/rpc' });
    const err = await failureOf(
      runA2a(callTo(s.cardUrl), undefined, hooks({ env: { ARBITER_AGENT_HOSTS: '127.0.0.1' } })),
    );
    expect(err.type).toBe('refused');
    expect(err.message).toContain('a2a.example.com');
    expect(s.sends).toHaveLength(0);
  });

  it('sends the auth header from the environment; an unset variable is refused before any request', async () => {
    const s = await server({ mode: 'instant', requireHeader: { name: 'x-api-key', value: 'k-123' } });
    const auth = { auth: { header: 'x-api-key', env: 'REMOTE_KEY' } };
    const ok = await runA2a(
      callTo(s.cardUrl, { endpoint: auth }),
      undefined,
      hooks({ env: { REMOTE_KEY: 'k-123' } }),
    );
    expect(ok.kind).toBe('output');
    const unset = await failureOf(
      runA2a(callTo(s.cardUrl, { endpoint: auth }), undefined, hooks({ env: {} })),
    );
    expect(unset.type).toBe('refused');
    expect(unset.message).toContain('REMOTE_KEY');
    expect(unset.message).not.toContain('k-123');
  });

  it('input-required: returns the question as pending; a reply goes on the same task and completes it', async () => {
    const s = await server({ mode: 'ask' });
    const call = callTo(s.cardUrl);
    const first = await runA2a(call, undefined, hooks());
    expect(first.kind).toBe('pending');
    if (first.kind !== 'pending') return;
    expect(first.pending).toMatchObject({
      state: 'input-required',
      taskId: s.tasksStarted[0],
      question: 'Which currency should the forecast use?',
    });
    expect(first.remote.states.map((x) => x.state)).toContain('input-required');
    const answered = await runA2a(
      { ...call, idempotencyKey: `${call.idempotencyKey}/answer` },
      { taskId: first.pending.taskId, contextId: first.pending.contextId, text: 'EUR' },
      hooks(),
    );
    expect(answered).toMatchObject({ kind: 'output', output: { summary: 'answered: EUR', criteria: [] } });
    expect(s.tasksStarted).toHaveLength(1);
    expect(s.sends.map((m) => m.taskId)).toEqual(['', first.pending.taskId]);
    expect(s.sends[1]!.text).toBe('EUR');
  });

  it('a resumed attempt follows the task in the heartbeat details: no second message, one task', async () => {
    const s = await server({ mode: 'slow', slowMs: 1_500 });
    const call = callTo(s.cardUrl);
    const first = new AbortController();
    const h1 = hooks();
    const running = runA2a({ ...call, signal: first.signal }, undefined, h1);
    await until(() => h1.beats.some((b) => b !== undefined), 'the task id in a heartbeat');
    // The first attempt dies (its worker is gone): its request is aborted mid-follow.
    first.abort(new Error('worker gone'));
    await failureOf(running);
    const details = h1.beats.find((b) => b !== undefined);
    expect(details?.taskId).toBe(s.tasksStarted[0]);
    const second = await runA2a({ ...call, attempt: 2 }, undefined, hooks({ resumed: details }));
    expect(second.kind).toBe('output');
    expect(s.sends).toHaveLength(1);
    expect(s.tasksStarted).toHaveLength(1);
    expect(s.cancels).toHaveLength(0);
  });

  it('a resumed attempt whose task the agent lost (restarted) starts the work again, once', async () => {
    const s = await server({ mode: 'instant' });
    const call = callTo(s.cardUrl);
    const resumed: A2aProgress = {
      protocol: 'a2a',
      taskId: 'lost-in-a-restart',
      states: [{ state: 'working', at: 'x' }],
    };
    const result = await runA2a({ ...call, attempt: 2 }, undefined, hooks({ resumed }));
    expect(result).toMatchObject({ kind: 'output', remote: { taskId: s.tasksStarted[0] } });
    expect(s.sends).toHaveLength(1);
    // The trail shows the lost task as failed, then the new task's states.
    expect(result.remote?.states.map((x) => x.state)).toContain('failed');
    expect(result.remote?.states.at(-1)?.state).toBe('completed');
  });

  it('a retry without details finds the task its predecessor started by the call context (1.0)', async () => {
    const s = await server({ mode: 'slow', slowMs: 1_000 });
    const call = callTo(s.cardUrl);
    const first = new AbortController();
    const running = runA2a({ ...call, signal: first.signal }, undefined, hooks());
    await s.started(1);
    first.abort(new Error('worker gone'));
    await failureOf(running);
    const second = await runA2a({ ...call, attempt: 2 }, undefined, hooks());
    expect(second).toMatchObject({ kind: 'output', remote: { taskId: s.tasksStarted[0] } });
    expect(s.sends).toHaveLength(1);
  });

  it('a cancelled contract sends tasks/cancel for the followed task', async () => {
    const s = await server({ mode: 'slow', slowMs: 30_000 });
    const ctl = new AbortController();
    const h = hooks({ workAbandoned: () => true });
    const running = runA2a(callTo(s.cardUrl, { signal: ctl.signal }), undefined, h);
    const taskId = await s.started(1);
    await until(() => h.beats.some((b) => b?.taskId === taskId), 'the task followed');
    ctl.abort(new Error('cancelled'));
    await failureOf(running);
    expect(s.cancels).toEqual([taskId]);
  });

  it('cancelled while the first message was on its way: the task is found by its context and cancelled', async () => {
    const s = await server({ mode: 'slow', slowMs: 30_000, answerDelayMs: 10_000 });
    const ctl = new AbortController();
    const h = hooks({ workAbandoned: () => true });
    const running = runA2a(callTo(s.cardUrl, { signal: ctl.signal }), undefined, h);
    const taskId = await s.started(1);
    ctl.abort(new Error('cancelled'));
    await failureOf(running);
    expect(h.beats.filter((b) => b !== undefined)).toHaveLength(0);
    expect(s.cancels).toEqual([taskId]);
  });
});
