// A small webhook receiver for Arbiter's notifications, on loopback: it checks each request's
// signature, drops repeats by their Idempotency-Key and hands every message on. `arbiter demo` uses
// it to show where notifications go; it is also a reference for writing a receiver of your own.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../security/signature.js';

const MAX_BODY_BYTES = 256 * 1024;

export interface ReceivedNotification {
  /** The parsed JSON body (see webhookBody in webhook.ts). */
  body: { event?: string; text?: string; idempotencyKey?: string; [key: string]: unknown };
  idempotencyKey: string | undefined;
  /** Seen before under the same Idempotency-Key: acknowledged, not handed on as new. */
  repeat: boolean;
}

export interface WebhookReceiver {
  /** The address to configure: http://127.0.0.1:PORT/notify */
  url: string;
  /** Messages accepted so far (repeats included, marked). */
  received: ReceivedNotification[];
  /** Requests refused: a bad signature, or not JSON. */
  refused: number;
  stop(): Promise<void>;
}

export interface ReceiverOptions {
  secret: string;
  onMessage?: (n: ReceivedNotification) => void;
  onRefused?: (why: string) => void;
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size <= MAX_BODY_BYTES) chunks.push(d);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(undefined));
  });
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

export async function startWebhookReceiver(opts: ReceiverOptions): Promise<WebhookReceiver> {
  const seen = new Set<string>();
  const receiver: WebhookReceiver = { url: '', received: [], refused: 0, stop: () => Promise.resolve() };
  const refuse = (res: ServerResponse, status: number, why: string) => {
    receiver.refused += 1;
    opts.onRefused?.(why);
    res.writeHead(status, { 'content-type': 'text/plain' }).end(why);
  };
  const server = createServer((req, res) => {
    void (async () => {
      if (req.method !== 'POST') return refuse(res, 405, 'POST only');
      const body = await readBody(req);
      if (body === undefined) return refuse(res, 413, 'body too large');
      if (!verifySignature(opts.secret, header(req, TIMESTAMP_HEADER), body, header(req, SIGNATURE_HEADER))) {
        return refuse(res, 401, 'bad or missing signature');
      }
      let parsed: ReceivedNotification['body'];
      try {
        parsed = JSON.parse(body) as ReceivedNotification['body'];
      } catch {
        return refuse(res, 400, 'not JSON');
      }
      const key = header(req, 'idempotency-key');
      const repeat = key !== undefined && seen.has(key);
      if (key !== undefined) seen.add(key);
      const n: ReceivedNotification = { body: parsed, idempotencyKey: key, repeat };
      receiver.received.push(n);
      opts.onMessage?.(n);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  // Never what keeps a process alive: whoever started it decides when the process ends.
  server.unref();
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`;
  receiver.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}
