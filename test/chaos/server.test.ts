// The Temporal server killed mid-plan (chaos/cases/serverKill.ts) on a server of its own: a dev
// server with SQLite history on a free port, killed with -9 and restarted on the same port and file
// while an `arbiter worker` process runs the plan.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { devServerFault, killServerMidPlan } from '../../chaos/cases/serverKill.js';
import { freePort } from '../../src/config/freePort.js';
import { startDevServer, type DevServer } from '../../src/embedded/devServer.js';
import { runCase } from './env.js';

let server: DevServer | undefined;

afterAll(async () => {
  await server?.stop();
});

it('kill -9 of the Temporal server mid-plan: after a restart the worker reconnects and every contract completes once', async () => {
  const port = await freePort();
  const dbFile = join(mkdtempSync(join(tmpdir(), 'arbiter-chaos-server-')), 'temporal.db');
  server = await startDevServer({ port, dbFile });
  const control = {
    current: () => server!,
    restart: async () => (server = await startDevServer({ port, dbFile })),
  };
  const report = await runCase((env) => killServerMidPlan(env, devServerFault(control)), {
    address: server.address,
  });
  expect(report.contractsLost).toBe(0);
  expect(report.result).toBe('plan completed, 8/8 contracts SUCCEEDED; worker reconnected on its own');
  // One idempotency key per contract: nothing ran as new work twice.
  expect(report.figures['agent calls / steps']).toMatch(/^\d+ \/ 8$/);
}, 300_000);
