// The one `fetch` every A2A request of an agent goes through (the card, and the SDK's JSON-RPC
// transport): only hosts the agent may be called on, no redirects (a 3xx could lead outside the
// allowlist; it fails the request), the agent's auth header added, and answers read up to a size
// limit so a misbehaving agent cannot exhaust the worker's memory.
import { AgentCardError } from './errors.js';
import { mayCall } from './hosts.js';

/** Largest answer read from an A2A agent (a card, a task). Outputs are capped lower by executeAgent. */
export const MAX_A2A_RESPONSE_BYTES = 16 * 1024 * 1024;

export interface GuardOptions {
  card: URL;
  env: NodeJS.ProcessEnv;
  /** Extra headers (the agent's auth header); values never appear in errors or logs. */
  headers?: Record<string, string>;
  maxBytes?: number;
}

async function readCapped(res: Response, max: number, url: string): Promise<Response> {
  if (Number(res.headers.get('content-length') ?? 0) > max) {
    await res.body?.cancel();
    throw new Error(`${url}: answer larger than ${max} bytes`);
  }
  if (!res.body) return res;
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new Error(`${url}: answer larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  return new Response(Buffer.concat(chunks), {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
}

export function guardedFetch(opts: GuardOptions): typeof fetch {
  const max = opts.maxBytes ?? MAX_A2A_RESPONSE_BYTES;
  return async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const target = new URL(input instanceof Request ? input.url : String(input));
    if (!mayCall(target, opts.card, opts.env)) {
      throw new AgentCardError(
        'A2A_HOST_REFUSED',
        opts.card.href,
        `request to ${target.host} refused: not a host this agent may be called on`,
      );
    }
    const headers = new Headers(input instanceof Request ? input.headers : undefined);
    new Headers(init?.headers).forEach((v, k) => headers.set(k, v));
    for (const [k, v] of Object.entries(opts.headers ?? {})) headers.set(k, v);
    const res = await fetch(input, { ...init, headers, redirect: 'manual' });
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel();
      throw new Error(`${target.href}: HTTP ${res.status} redirect not followed`);
    }
    return readCapped(res, max, target.href);
  };
}
