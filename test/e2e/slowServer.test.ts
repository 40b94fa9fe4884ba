// A Temporal server that is slow to answer is not "unreachable": the CLI waits for it (up to the
// SDK's 10 s connect timeout) instead of exiting 3 after a few seconds on a busy machine. The slow
// server is the real one behind a loopback proxy that holds each new connection for 3.5 s.
import { connect as tcpConnect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { arbiter, hasStackTrace } from '../support/cli.js';

const HOLD_MS = 3_500;
let proxy: Server;
let address: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  const [host, port] = inject('temporalAddress').split(':') as [string, string];
  proxy = createServer((client) => {
    sockets.add(client);
    client.pause();
    setTimeout(() => {
      const upstream = tcpConnect(Number(port), host, () => {
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      sockets.add(upstream);
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
      client.on('close', () => upstream.destroy());
    }, HOLD_MS);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  address = `127.0.0.1:${(proxy.address() as { port: number }).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => proxy.close(r));
});

it('waits for a server that takes seconds to answer, instead of calling it unreachable', async () => {
  const r = await arbiter(['status', 'no-such-contract'], { TEMPORAL_ADDRESS: address });
  // The server answered (through the slow proxy): the id is unknown, a user mistake.
  expect(r.stderr).not.toContain('cannot reach Temporal');
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('no contract or plan with id "no-such-contract"');
  expect(hasStackTrace(r.stderr)).toBe(false);
});
