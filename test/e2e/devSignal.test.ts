// `arbiter dev` stops everything it started on Ctrl-C: the worker shuts down, the Temporal dev
// server and the local model server stop, and the process exits 0. The local model runtime loads a
// library that re-raises a signal when it thinks it is the last listener; the shutdown must stay
// graceful whatever order the listeners were added in.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/config/freePort.js';
import { localModelPath } from '../../src/llm/modelPath.js';
import { repoFile } from '../support/temporal.js';

const canListen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

/** A free port whose Web UI neighbour (port + 1000) is free too. */
async function devPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 1000 < 65536 && (await canListen(port + 1000))) return port;
  }
}

const answers = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

describe('arbiter dev', () => {
  it('stops the worker, the dev server and the local model on SIGINT, and exits 0', async () => {
    if (!localModelPath())
      throw new Error('the local model is not provisioned: run `node scripts/setup.mjs`');
    const port = await devPort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ARBITER_DEV_PORT: String(port),
      ARBITER_METRICS_PORT: 'off',
      ARBITER_DATA_DIR: mkdtempSync(join(tmpdir(), 'arbiter-dev-signal-')),
    };
    // The embedded local model, as on a machine without a provider configured.
    delete env.OPENAI_BASE_URL;
    delete env.OPENAI_API_KEY;
    delete env.TEMPORAL_ADDRESS;
    const child = spawn(process.execPath, [repoFile('bin/arbiter.js'), 'dev'], {
      cwd: repoFile(''),
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    try {
      await expect.poll(() => err, { timeout: 240_000, interval: 250 }).toMatch(/ready: Temporal at/);
      expect(err).toMatch(/LLM: local model/);
      expect(await answers(port)).toBe(true);
      child.kill('SIGINT');
      const [code, signal] = await exited;
      expect({ code, signal }, err).toEqual({ code: 0, signal: null });
      expect(err).toMatch(/stopped/);
      expect(await answers(port)).toBe(false);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      // A failed run must not leave its server behind.
      spawnSync('pkill', ['-f', `start-dev --ip 127.0.0.1 --port ${port} `]);
    }
  }, 300_000);
});
