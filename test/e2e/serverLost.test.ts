// The Temporal server dying in the middle of `submit --wait` is "Temporal unreachable" (exit 3,
// with how to start one), not an internal error and not a wait that never ends.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/embedded/devServer.js';
import { freePort } from '../../src/config/freePort.js';
import { hasStackTrace } from '../support/cli.js';
import { repoFile } from '../support/temporal.js';

describe('server lost mid-command', () => {
  let server: DevServer | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it('submit --wait exits 3 with how to start Temporal when the server goes away', async () => {
    server = await startDevServer({ port: await freePort() });
    // No worker: the contract stays unfinished, so --wait is still polling when the server dies.
    const child = spawn(
      process.execPath,
      [
        repoFile('bin/arbiter.js'),
        'submit',
        '--file',
        'examples/contracts/analytics-dashboard.yaml',
        '--wait',
      ],
      {
        cwd: repoFile(''),
        env: { ...process.env, TEMPORAL_ADDRESS: server.address, ARBITER_SERVER_GRACE_MS: '2000' },
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Wait until --wait prints the contract's first state (it follows it), then kill the server.
    while (!stderr.includes('contract/analytics-dashboard: ')) {
      if (child.exitCode !== null) throw new Error(`submit ended early: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    server.process.kill('SIGKILL');
    const [code] = (await once(child, 'close')) as [number];
    expect(code).toBe(3);
    expect(stderr).toContain(`cannot reach Temporal at ${server.address}`);
    expect(stderr).toContain('npx arbiter dev');
    expect(hasStackTrace(stderr)).toBe(false);
  });
});
