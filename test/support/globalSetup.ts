// Starts one real Temporal dev server (in memory, headless) for the whole run and picks the
// workflow bundle once; every test file connects to that server and reuses that bundle. The CLI
// tests run bin/arbiter.js, which runs the compiled build: it is brought up to date first (a no-op
// after `npm test`'s setup), so `npx vitest run <file>` never tests an old build.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDevServer, type DevServer } from '../../src/embedded/devServer.js';
import { workflowBundle } from '../../src/runtime/workflowBundle.js';
import { freePort } from '../../src/config/freePort.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundlePath: string;
  }
}

let server: DevServer | undefined;
let runTmp: string | undefined;
const repoFile = (path: string) => new URL(`../../${path}`, import.meta.url).pathname;

function ensureBuild(): void {
  const built = spawnSync(process.execPath, [repoFile('scripts/build.mjs'), '--if-stale'], {
    cwd: repoFile(''),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (built.status !== 0) throw new Error(`the build failed (exit ${built.status}); see above`);
}

export async function setup(project: TestProject): Promise<void> {
  // Every temporary folder of the run (test files, workers, servers and the processes they start
  // all take theirs from os.tmpdir()) goes under one folder that teardown removes, so repeated runs
  // leave nothing behind in /tmp. The test processes start after this and inherit TMPDIR.
  runTmp = mkdtempSync(join(tmpdir(), 'arbiter-run-'));
  // Others may pass through (not list): the cluster suite's PostgreSQL runs as its own OS user.
  chmodSync(runTmp, 0o711);
  process.env.TMPDIR = runTmp;
  ensureBuild();
  // The same function the worker uses: the prebuilt bundle when it matches the sources.
  const [started, bundle] = await Promise.all([
    freePort().then((port) => startDevServer({ port })),
    workflowBundle({ tracing: false, encodedFailures: false }),
  ]);
  server = started;
  project.provide('temporalAddress', server.address);
  project.provide('workflowBundlePath', bundle.codePath);
}

export async function teardown(): Promise<void> {
  await server?.stop();
  if (runTmp) rmSync(runTmp, { recursive: true, force: true });
}
