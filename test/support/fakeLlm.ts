// A small OpenAI-compatible server that misbehaves on purpose, to test failure handling.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeMode =
  'server-error' | 'garbage' | 'hang' | 'wrong-domain' | 'rate-limit' | 'script' | 'by-schema';

export interface FakeLlm {
  baseURL: string;
  requests: number;
  /** Request bodies received, parsed. */
  bodies: {
    messages: { role: string; content: string }[];
    response_format?: { json_schema?: { name?: string } };
  }[];
  close(): Promise<void>;
}

/**
 * `script`: answers with these contents in turn (the last one repeats). `by-schema`: answers with
 * `bySchema[name]` for a request whose structured output is the JSON schema `name` (e.g. `plan`,
 * `classification`), so one server can serve a whole run; an unknown name gets a 400.
 */
export async function startFakeLlm(
  mode: FakeMode,
  script: string[] = [],
  bySchema: Record<string, string> = {},
): Promise<FakeLlm> {
  const state = { requests: 0 };
  const bodies: FakeLlm['bodies'] = [];
  const server: Server = createServer((req, res) => {
    state.requests += 1;
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw || '{}') as FakeLlm['bodies'][number];
      bodies.push(body);
      const answer = (content: string) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            id: 'x',
            object: 'chat.completion',
            created: 0,
            model: 'fake',
            choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
          }),
        );
      if (mode === 'server-error') res.writeHead(500).end('{"error":{"message":"boom"}}');
      else if (mode === 'rate-limit') res.writeHead(429).end('{"error":{"message":"slow down"}}');
      else if (mode === 'garbage') answer('Sure! The domain is probably finance.');
      else if (mode === 'wrong-domain') answer('{"domain":"astrology","confidence":1,"reasoning":[]}');
      else if (mode === 'script') answer(script[Math.min(state.requests, script.length) - 1] ?? '');
      else if (mode === 'by-schema') {
        const content = bySchema[body.response_format?.json_schema?.name ?? ''];
        if (content === undefined) res.writeHead(400).end('{"error":{"message":"unexpected request"}}');
        else answer(content);
      }
      // 'hang': never answer; the client's timeout must end the call.
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    get requests() {
      return state.requests;
    },
    bodies,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
