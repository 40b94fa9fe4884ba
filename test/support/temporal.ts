// Helpers for tests that run workflows on the real dev server started by globalSetup.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { createActivities } from '../../src/activities/index.js';
import { liveTrailSink } from '../../src/audit/replay.js';
import type { LedgerLink } from '../../src/activities/ledger.js';
import { loadDeps } from '../../src/activities/deps.js';
import { loadConfig, type Config } from '../../src/config/settings.js';

let runtimeInstalled = false;
let counter = 0;

export const repoFile = (path: string) => new URL(`../../${path}`, import.meta.url).pathname;

/** A config for one test: its own task queue and data dir, the shared server. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  const dataDir = mkdtempSync(join(tmpdir(), 'arbiter-test-'));
  counter += 1;
  // No /metrics endpoint unless a test asks for one: test files run in parallel processes, and
  // they would all reach for the default port.
  const { metrics: _defaultMetrics, ...defaults } = loadConfig({}, repoFile(''));
  return {
    ...defaults,
    address: inject('temporalAddress'),
    taskQueue: `test-${process.pid}-${counter}-${Date.now().toString(36)}`,
    dataDir,
    ...overrides,
  };
}

/** Writes an agents file into a temp dir and returns its path. */
export function agentsFile(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-agents-'));
  const file = join(dir, 'agents.yaml');
  writeFileSync(file, yaml);
  return file;
}

/** Writes a reviewers file (groups and escalation chains) into a temp dir and returns its path. */
export function reviewersFile(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-reviewers-'));
  const file = join(dir, 'reviewers.yaml');
  writeFileSync(file, yaml);
  return file;
}

/** Copies the default policies, applying text edits, into a temp folder. */
export function policiesWith(edit: (file: string, text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-policies-'));
  cpSync(repoFile('policies'), dir, { recursive: true });
  for (const f of ['routing.cedar', 'data.cedar', 'review.cedar']) {
    const path = join(dir, f);
    writeFileSync(path, edit(f, readFileSync(path, 'utf8')));
  }
  return dir;
}

export async function clientFor(config: Config): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect({ address: config.address! });
  return { client: new Client({ connection, namespace: config.namespace }), connection };
}

/** Runs `fn` while a real worker (real activities, shared workflow bundle) polls the config's queue. */
export async function withWorker<T>(config: Config, fn: () => Promise<T>, link: LedgerLink = {}): Promise<T> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    runtimeInstalled = true;
  }
  const connection = await NativeConnection.connect({ address: config.address! });
  try {
    const worker = await Worker.create({
      connection,
      namespace: config.namespace,
      taskQueue: config.taskQueue,
      activities: createActivities(loadDeps(config), link),
      workflowBundle: { codePath: inject('workflowBundlePath') },
      sinks: liveTrailSink,
    });
    return await worker.runUntil(fn);
  } finally {
    await connection.close();
  }
}
