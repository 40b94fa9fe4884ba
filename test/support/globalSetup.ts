// Starts one real Temporal dev server (in memory, headless) for the whole run and bundles the
// workflow code once; every test file connects to that server and reuses that bundle.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { startDevServer, type DevServer } from '../../src/embedded/devServer.js';
import { workflowsPath } from '../../src/worker.js';
import { freePort } from '../../src/config/freePort.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundlePath: string;
  }
}

let server: DevServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  const [started, bundle] = await Promise.all([
    freePort().then((port) => startDevServer({ port })),
    bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') }),
  ]);
  server = started;
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-bundle-'));
  const workflowBundlePath = join(dir, 'workflows.js');
  writeFileSync(workflowBundlePath, bundle.code);
  // Every process the tests start (CLI commands replaying histories) reuses this bundle.
  process.env.ARBITER_WORKFLOW_BUNDLE = workflowBundlePath;
  project.provide('temporalAddress', server.address);
  project.provide('workflowBundlePath', workflowBundlePath);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
