// A process that dies without stopping the dev server it started (an uncaught error) does not leave
// the server running, holding its port and history file.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/config/freePort.js';
import { repoFile } from '../support/temporal.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the embedded dev server', () => {
  it('stops when the process that started it dies on an uncaught error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'arbiter-devserver-exit-'));
    // .mts: an ES module wherever it lies (top-level await), run through tsx like the CLI's sources.
    const script = join(dir, 'crash.mts');
    const devServer = pathToFileURL(repoFile('src/embedded/devServer.ts')).href;
    writeFileSync(
      script,
      `import { startDevServer } from ${JSON.stringify(devServer)};
const server = await startDevServer({ port: ${await freePort()}, dbFile: ${JSON.stringify(join(dir, 'temporal.db'))} });
process.stdout.write(server.process.pid + '\\n');
throw new Error('crashed with the server still running');
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: repoFile(''),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(err).toContain('crashed with the server still running');
    expect(code).not.toBe(0);
    const pid = Number(out.trim());
    expect(pid, err).toBeGreaterThan(0);
    try {
      await expect.poll(() => alive(pid), { timeout: 20_000, interval: 200 }).toBe(false);
    } finally {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  }, 90_000);
});
