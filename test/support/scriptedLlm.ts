// A scripted OpenAI-compatible chat server on loopback: it answers each chat completion with the
// next reply of its script, in order, so a tool loop can be driven deterministically. A request
// past the end of the script gets HTTP 500 ("script exhausted"), which makes an extra turn visible.
// A `{ hold: true }` reply never answers (a model that hangs): the caller's abort is recorded.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedToolCall {
  name: string;
  /** Sent as given when a string (to script malformed JSON), else JSON-encoded. */
  arguments: string | Record<string, unknown>;
  /** Omitted: `call_<n>`; '' sends an empty id (as some weak servers do). */
  id?: string;
  /** Another call type than `function` (some servers send `custom`). */
  type?: string;
}

export type ScriptedReply = (
  | { toolCalls: ScriptedToolCall[]; content?: string | null }
  | { content: string }
  | { status: number; body: string }
  | { hold: true }
) & {
  /** The reply is sent once this settles (a test changes the world between a turn and its answer). */
  after?: Promise<unknown>;
};

export interface ScriptedRequest {
  model: string;
  messages: {
    role: string;
    content: string | null;
    tool_calls?: { id: string; function: { name: string; arguments: string } }[];
    tool_call_id?: string;
  }[];
  tools?: { type: string; function: { name: string; description?: string; parameters: unknown } }[];
}

export interface ScriptedLlm {
  baseURL: string;
  /** Every request body received, parsed, in order. */
  requests: ScriptedRequest[];
  /** Indexes (0-based) of requests whose caller went away before an answer. */
  aborted: number[];
  /** Resolves once `n` requests in all have arrived. */
  received(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startScriptedLlm(
  script: ScriptedReply[],
  usage = { prompt_tokens: 1_000, completion_tokens: 200 },
): Promise<ScriptedLlm> {
  const requests: ScriptedRequest[] = [];
  const aborted: number[] = [];
  let calls = 0;
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      requests.push(JSON.parse(raw || '{}') as ScriptedRequest);
      const index = requests.length - 1;
      res.on('close', () => {
        if (!res.writableFinished) aborted.push(index);
      });
      const reply = script[index];
      if (reply && 'hold' in reply) return;
      void Promise.resolve(reply?.after)
        .catch(() => undefined)
        .then(() => answer(reply));
    });
    const answer = (reply: ScriptedReply | undefined) => {
      if (!reply || 'hold' in reply) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"script exhausted"}}');
        return;
      }
      if ('status' in reply) {
        res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
        return;
      }
      const message =
        'toolCalls' in reply
          ? {
              role: 'assistant',
              content: reply.content ?? null,
              tool_calls: reply.toolCalls.map((c) => {
                calls += 1;
                const args = typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments);
                return {
                  id: c.id ?? `call_${calls}`,
                  type: c.type ?? 'function',
                  function: { name: c.name, arguments: args },
                };
              }),
            }
          : { role: 'assistant', content: reply.content };
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: `chatcmpl-${requests.length}`,
          object: 'chat.completion',
          created: 0,
          model: 'scripted',
          choices: [
            {
              index: 0,
              message,
              finish_reason: 'toolCalls' in reply ? 'tool_calls' : 'stop',
            },
          ],
          usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
        }),
      );
    };
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    requests,
    aborted,
    received: async (n, timeoutMs = 90_000) => {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < n) {
        if (Date.now() > deadline)
          throw new Error(`the scripted model got ${requests.length} requests, not ${n}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
