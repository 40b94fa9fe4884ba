// Temporal's codec server protocol, so the Web UI and `temporal` CLI can show encrypted payloads:
// POST /encode and POST /decode take {payloads: [{metadata: {k: base64}, data: base64}]} (proto3
// JSON) and answer the same shape. CORS lets the Web UI's origin call it (preflight included), and a
// bearer token (ARBITER_CODEC_TOKEN) is required unless the operator opts out explicitly.
//
// The Web UI cannot send that token: its "Pass the user access token" option is refused for http://
// endpoints and sends the UI's own login token anyway. So a browser signs in once at GET / with the
// token and gets an HttpOnly, SameSite=Strict session cookie; the UI's "Include cross-origin
// credentials" option then sends it with every /decode call (CORS with credentials, origin allowlist).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { ArbiterError } from '../shared/errors.js';

export const CODEC_TOKEN_ENV = 'ARBITER_CODEC_TOKEN';
export const SESSION_COOKIE = 'arbiter_codec_session';
const SESSION_SECONDS = 8 * 60 * 60;
const MAX_BODY_BYTES = 8 * 1024 * 1024;
const ALLOW_HEADERS = 'Content-Type, Authorization, X-Namespace';

const Base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');
const JsonPayload = z.object({
  metadata: z.record(z.string(), Base64).nullish(),
  data: Base64.nullish(),
});
type JsonPayload = z.infer<typeof JsonPayload>;
const Body = z.object({ payloads: z.array(JsonPayload) });

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** The bearer token callers must send; undefined only with `insecureNoAuth`. */
  token?: string;
  /** Origins allowed to call from a browser (the Temporal Web UI), e.g. http://localhost:8233. */
  origins: string[];
  insecureNoAuth?: boolean;
}

export function fromJson({ metadata, data }: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(
      Object.entries(metadata ?? {}).map(([k, v]): [string, Uint8Array] => [k, Buffer.from(v, 'base64')]),
    ),
    ...(data ? { data: Buffer.from(data, 'base64') } : {}),
  };
}

export function toJson({ metadata, data }: Payload): { metadata: Record<string, string>; data?: string } {
  return {
    metadata: Object.fromEntries(
      Object.entries(metadata ?? {}).map(([k, v]): [string, string] => [
        k,
        Buffer.from(v).toString('base64'),
      ]),
    ),
    ...(data ? { data: Buffer.from(data).toString('base64') } : {}),
  };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time comparison of `Authorization: Bearer <token>` with the expected token. */
export function authorized(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1].trim()), digest(token));
}

/** The cookie value a signed-in browser holds: derived from the token, so the cookie never holds it. */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('arbiter codec-server browser session').digest('base64url');
}

function hasSession(cookieHeader: string | undefined, token: string): boolean {
  const cookie = (cookieHeader ?? '')
    .split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  const value = cookie?.slice(SESSION_COOKIE.length + 1);
  return value !== undefined && timingSafeEqual(digest(value), digest(sessionValue(token)));
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The sign-in page: one password field, posted to this same origin. */
function signInPage(message: string, showForm: boolean): string {
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Arbiter codec server</title>',
    '<style>body{font-family:sans-serif;max-width:40rem;margin:3rem auto;line-height:1.5}</style></head><body>',
    '<h1>Arbiter codec server</h1>',
    `<p id="message">${escapeHtml(message)}</p>`,
    showForm
      ? '<form method="post" action="/login"><label for="token">Codec token (ARBITER_CODEC_TOKEN)</label><br>' +
        '<input id="token" name="token" type="password" autocomplete="off" size="48" required> ' +
        '<button type="submit">Sign in</button></form>'
      : '',
    '</body></html>',
  ].join('\n');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`body larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function page(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    // Not frameable, no scripts: the page only posts the token back to this origin.
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    'X-Frame-Options': 'DENY',
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(html);
}

/** Lets a listed browser origin (the Web UI) read the answer, with its credentials. */
function allowOrigin(origins: Set<string>, req: IncomingMessage, res: ServerResponse): void {
  const origin = req.headers.origin;
  if (origin && (origins.has(origin) || origins.has('*'))) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Vary', 'Origin');
  }
}

const FOR_UI =
  'Then, in the Temporal Web UI, open the Codec Server settings, enter this address as the browser ' +
  'endpoint and tick "Include cross-origin credentials".';

/** GET / shows the sign-in form; POST /login checks the token and sets the session cookie. */
async function signIn(
  token: string | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  if (!token) return page(res, 200, signInPage(`No sign-in needed (--insecure-no-auth). ${FOR_UI}`, false));
  if (req.method === 'GET' && path === '/') {
    return page(res, 200, signInPage(`Sign in with the codec token. ${FOR_UI}`, true));
  }
  const given = new URLSearchParams(await readBody(req)).get('token')?.trim() ?? '';
  if (!given || !authorized(`Bearer ${given}`, token)) {
    return page(res, 401, signInPage('Wrong token: try again.', true));
  }
  page(res, 200, signInPage(`Signed in: this browser may now decode payloads. ${FOR_UI}`, false), {
    // A working day, then sign in again; the value is the same while the token is unchanged.
    'Set-Cookie': `${SESSION_COOKIE}=${sessionValue(token)}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_SECONDS}`,
  });
}

/** POST /encode or /decode from an authorized caller: the payloads through the codec. */
async function codecCall(
  codec: CodecServerOptions['codec'],
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
) {
  let body: z.infer<typeof Body>;
  try {
    const parsed = Body.safeParse(JSON.parse(await readBody(req)));
    if (!parsed.success) {
      return send(res, 400, {
        error: `body must be {payloads: [{metadata, data}]} with base64 values: ${parsed.error.issues[0]?.message ?? ''}`,
      });
    }
    body = parsed.data;
  } catch (err) {
    return send(res, 400, { error: `body is not JSON: ${(err as Error).message}` });
  }
  try {
    const payloads = body.payloads.map(fromJson);
    const out = path === '/encode' ? await codec.encode(payloads) : await codec.decode(payloads);
    send(res, 200, { payloads: out.map(toJson) });
  } catch (err) {
    // ArbiterError messages name key ids, never key material.
    const message = err instanceof ArbiterError ? err.message : 'the payloads could not be processed';
    send(res, 400, { error: message });
  }
}

export function createCodecServer(options: CodecServerOptions): Server {
  if (!options.token && !options.insecureNoAuth) {
    throw new ArbiterError(
      'BAD_INPUT',
      `the codec server needs a token: set ${CODEC_TOKEN_ENV} (callers send Authorization: Bearer <token>)`,
      ['or pass --insecure-no-auth to serve without one (only on a trusted, local network)'],
    );
  }
  const origins = new Set(options.origins.map((o) => o.replace(/\/+$/, '')));
  return createServer((req, res) => {
    void (async () => {
      allowOrigin(origins, req, res);
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (req.method === 'OPTIONS') {
        res.writeHead(204, {
          'Access-Control-Allow-Methods': 'POST, OPTIONS',
          'Access-Control-Allow-Headers': ALLOW_HEADERS,
          'Access-Control-Max-Age': '600',
        });
        res.end();
        return;
      }
      if ((req.method === 'GET' && path === '/') || (req.method === 'POST' && path === '/login')) {
        return await signIn(options.token, req, res, path);
      }
      if (path !== '/encode' && path !== '/decode')
        return send(res, 404, { error: 'use /encode or /decode' });
      if (req.method !== 'POST') return send(res, 405, { error: `${path} takes POST` });
      if (
        options.token &&
        !authorized(req.headers.authorization, options.token) &&
        !hasSession(req.headers.cookie, options.token)
      ) {
        res.setHeader('WWW-Authenticate', 'Bearer');
        return send(res, 401, { error: 'missing or wrong bearer token' });
      }
      await codecCall(options.codec, req, res, path);
    })().catch(() => {
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.end();
    });
  });
}

/** Starts listening; resolves with the bound port (port 0 picks a free one). */
export function listen(server: Server, port: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
