// The codec server the Temporal Web UI calls: round trip, bearer token, CORS preflight.
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EncryptionCodec } from '../../src/security/codec.js';
import { createCodecServer, fromJson, listen, toJson } from '../../src/security/codecServer.js';
import { ArbiterError } from '../../src/shared/errors.js';

const token = randomBytes(16).toString('hex');
const origin = 'http://localhost:8233';
const codec = EncryptionCodec.fromKeys(`k1:${randomBytes(32).toString('base64')}`);
let server: Server;
let base: string;

beforeAll(async () => {
  server = createCodecServer({ codec, token, origins: [origin] });
  base = `http://127.0.0.1:${await listen(server, 0)}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const post = (path: string, body: unknown, auth: string | undefined = `Bearer ${token}`) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      origin,
      'x-namespace': 'default',
      ...(auth ? { authorization: auth } : {}),
    },
    body: JSON.stringify(body),
  });

describe('codec server', () => {
  it('encodes and decodes proto3-JSON payloads (base64 data and metadata)', async () => {
    const plain = toJson(defaultPayloadConverter.toPayload({ title: 'Launch plan', n: 3 }));
    const enc = await post('/encode', { payloads: [plain] });
    expect(enc.status).toBe(200);
    expect(enc.headers.get('access-control-allow-origin')).toBe(origin);
    const encoded = (await enc.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(Buffer.from(encoded.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe(
      'binary/encrypted',
    );
    expect(Buffer.from(encoded.payloads[0]!.data, 'base64').toString()).not.toContain('Launch plan');

    const dec = await post('/decode', encoded);
    expect(dec.status).toBe(200);
    const decoded = (await dec.json()) as { payloads: Parameters<typeof fromJson>[0][] };
    expect(defaultPayloadConverter.fromPayload(fromJson(decoded.payloads[0]!))).toEqual({
      title: 'Launch plan',
      n: 3,
    });
  });

  it('answers 401 to a wrong or missing token, 400 to a malformed body', async () => {
    const body = { payloads: [] };
    expect((await post('/decode', body, 'Bearer wrong')).status).toBe(401);
    expect((await post('/decode', body, '')).status).toBe(401);
    expect((await post('/decode', { payloads: [{ data: '***' }] })).status).toBe(400);
    expect((await post('/decode', 'not an object')).status).toBe(400);
  });

  it('answers a CORS preflight from the Web UI origin with the headers it needs', async () => {
    const res = await fetch(`${base}/decode`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,authorization,x-namespace',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')).toBe('Content-Type, Authorization, X-Namespace');
    const other = await fetch(`${base}/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.test' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('lets a browser sign in with the token: an HttpOnly session cookie, never the token, decodes', async () => {
    const login = (given: string) =>
      fetch(`${base}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: given }).toString(),
      });
    const wrong = await login('not-the-token');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();

    const ok = await login(token);
    expect(ok.status).toBe(200);
    const setCookie = ok.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^arbiter_codec_session=[^;]+;/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).not.toContain(token);
    const cookie = setCookie.split(';')[0]!;

    const withCookie = (c: string) =>
      fetch(`${base}/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin, cookie: c },
        body: JSON.stringify({ payloads: [] }),
      });
    expect((await withCookie(cookie)).status).toBe(200);
    expect((await withCookie('arbiter_codec_session=forged')).status).toBe(401);
  });

  it('refuses to be created without a token unless auth is explicitly off', () => {
    expect(() => createCodecServer({ codec, origins: [origin] })).toThrow(ArbiterError);
    expect(() => createCodecServer({ codec, origins: [origin], insecureNoAuth: true })).not.toThrow();
  });
});
