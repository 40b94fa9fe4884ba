// A TCP proxy on 127.0.0.1 in front of the Temporal server that a test can freeze: from then on no
// byte passes in either direction, so a worker connected through it can finish local work (a send,
// a file written) while nothing it reports reaches the server. That turns "the worker died after
// its side effect and before Temporal heard of it" from a race into a step a test takes.
import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface FreezableProxy {
  /** host:port to give a worker instead of the server's address. */
  address: string;
  freeze(): void;
  close(): Promise<void>;
}

export async function startFreezableProxy(target: string): Promise<FreezableProxy> {
  const sep = target.lastIndexOf(':');
  const host = target.slice(0, sep);
  const port = Number(target.slice(sep + 1));
  const sockets = new Set<Socket>();
  let frozen = false;
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server = createServer((downstream) => {
    const upstream = connect(port, host);
    track(downstream);
    track(upstream);
    const pass = (from: Socket, to: Socket) => {
      from.on('data', (d: Buffer) => {
        if (!frozen) to.write(d);
      });
      from.on('close', () => to.destroy());
    };
    pass(downstream, upstream);
    pass(upstream, downstream);
    if (frozen) for (const s of [downstream, upstream]) s.pause();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    freeze() {
      frozen = true;
      for (const s of sockets) s.pause();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
