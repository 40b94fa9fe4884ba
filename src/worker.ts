// The Arbiter worker: loads agents, policies and rules (bad ones stop it with exit 2), registers
// the workflows and activities, and polls the task queue until it is told to stop.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities/index.js';
import { loadDeps, type Deps } from './activities/deps.js';
import type { Config } from './config.js';
import { connectionSettings, unreachable } from './connectionSettings.js';
import { dataConverterFromEnv } from './security/codec.js';

export const workflowsPath = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

export interface WorkerSetup {
  config: Config;
  deps?: Deps;
  /** A prebuilt workflow bundle (tests build one and share it); otherwise bundled at start. */
  workflowBundle?: { codePath: string };
  options?: Partial<WorkerOptions>;
}

export async function connectWorker(config: Config): Promise<NativeConnection> {
  const settings = connectionSettings(config);
  try {
    return await NativeConnection.connect(settings);
  } catch (err) {
    throw unreachable(settings.address, err);
  }
}

export async function createWorker(setup: WorkerSetup, connection: NativeConnection): Promise<Worker> {
  const deps = setup.deps ?? loadDeps(setup.config);
  const dataConverter = dataConverterFromEnv(); // payload encryption when ARBITER_CODEC_KEYS is set
  return Worker.create({
    connection,
    namespace: setup.config.namespace,
    taskQueue: setup.config.taskQueue,
    activities: createActivities(deps),
    ...(dataConverter ? { dataConverter } : {}),
    ...(setup.workflowBundle ? { workflowBundle: setup.workflowBundle } : { workflowsPath }),
    ...setup.options,
  });
}
