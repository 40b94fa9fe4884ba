// Real receivers on 127.0.0.1 for notification tests: an HTTP server that records each request and
// checks the HMAC signature on its own (node:crypto, not Arbiter's helper), and a real SMTP server
// (smtp-server) that requires a login and keeps every message it accepts.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface HttpReceived {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** With a secret: whether x-arbiter-signature is HMAC-SHA256(secret, timestamp + "." + body). */
  signatureOk?: boolean;
}

export interface HttpReceiver {
  url: string;
  received: HttpReceived[];
  /** The answer to the next requests, in order; the last one repeats. */
  answers: { status: number; body: string }[];
  /** When set, decides each answer instead of `answers` (called once the whole request is in). */
  answer?: (request: HttpReceived) => { status: number; body: string };
  close(): Promise<void>;
}

function signatureMatches(secret: string, headers: IncomingHttpHeaders, body: string): boolean {
  const timestamp = headers['x-arbiter-timestamp'];
  const given = headers['x-arbiter-signature'];
  if (typeof timestamp !== 'string' || typeof given !== 'string') return false;
  const expected = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

export async function startHttpReceiver(
  opts: { secret?: string; answers?: { status: number; body: string }[] } = {},
): Promise<HttpReceiver> {
  const received: HttpReceived[] = [];
  const receiver: HttpReceiver = {
    url: '',
    received,
    answers: opts.answers ?? [{ status: 200, body: 'ok' }],
    close: () => Promise.resolve(),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const request: HttpReceived = {
        path: req.url ?? '',
        headers: req.headers,
        body,
        ...(opts.secret ? { signatureOk: signatureMatches(opts.secret, req.headers, body) } : {}),
      };
      received.push(request);
      const answer = receiver.answer
        ? receiver.answer(request)
        : receiver.answers.length > 1
          ? receiver.answers.shift()!
          : receiver.answers[0]!;
      res.writeHead(answer.status, { 'content-type': 'text/plain' });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

export interface MailReceived {
  from: string;
  to: string[];
  user: string | undefined;
  /** The message as sent over SMTP (headers and body). */
  raw: string;
}

export interface SmtpReceiver {
  port: number;
  received: MailReceived[];
  close(): Promise<void>;
}

/** A real SMTP server without TLS on loopback, accepting only `user`/`pass`. */
export async function startSmtpReceiver(user: string, pass: string): Promise<SmtpReceiver> {
  const received: MailReceived[] = [];
  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: false,
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === pass) callback(null, { user });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (d: Buffer) => chunks.push(d));
      stream.on('end', () => {
        const mailFrom = session.envelope.mailFrom;
        received.push({
          from: mailFrom ? mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          user: typeof session.user === 'string' ? session.user : undefined,
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The body of a raw message with quoted-printable soft breaks and escapes undone. */
export function decodedBody(raw: string): string {
  const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  return body
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** One header's value (unfolded), or undefined. */
export function header(raw: string, name: string): string | undefined {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
  const line = head.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}
