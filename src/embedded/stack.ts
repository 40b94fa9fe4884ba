// The embedded stack behind `arbiter dev` and `arbiter demo`: a Temporal dev server (unless
// TEMPORAL_ADDRESS names one, or one already answers on the dev port) and a worker.
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { addressOf, type Config } from '../config.js';
import { loadDeps } from '../activities/deps.js';
import { connectWorker, createWorker } from '../worker.js';
import { startDevServer, type DevServer } from './devServer.js';
import { ensureSearchAttributes } from './searchAttributes.js';

export interface Stack {
  config: Config;
  address: string;
  uiUrl: string;
  /** True when this process started the server (and will stop it). */
  ownsServer: boolean;
  worker: Worker;
  /** Resolves when the worker has stopped. */
  running: Promise<void>;
  stop(): Promise<void>;
}

async function answers(address: string): Promise<boolean> {
  try {
    const conn = await Connection.connect({ address, connectTimeout: '1s' });
    await conn.close();
    return true;
  } catch {
    return false;
  }
}

export async function startStack(config: Config, log: (line: string) => void): Promise<Stack> {
  // Agents, policies and rules are checked before anything starts: bad input starts nothing.
  const deps = loadDeps(config);
  let server: DevServer | undefined;
  let address = addressOf(config);
  let uiUrl = process.env.ARBITER_UI_URL ?? `http://localhost:${config.devPort + 1000}`;
  if (!config.address && !(await answers(address))) {
    const dbFile = join(config.dataDir, 'temporal.db');
    log(`starting Temporal dev server on ${address} (history in ${dbFile})`);
    server = await startDevServer({ port: config.devPort, uiPort: config.devPort + 1000, dbFile });
    address = server.address;
    uiUrl = server.uiUrl ?? uiUrl;
  } else {
    log(`using the Temporal server at ${address}`);
  }
  const stackConfig = { ...config, address };
  const client = await Connection.connect({ address });
  const added = await ensureSearchAttributes(client, config.namespace);
  await client.close();
  if (added.length > 0) log(`registered search attributes: ${added.join(', ')}`);

  const connection = await connectWorker(stackConfig);
  const worker = await createWorker({ config: stackConfig, deps }, connection);
  const running = worker.run().finally(() => connection.close());
  log(`worker polling task queue "${config.taskQueue}"`);
  let stopped = false;
  return {
    config: stackConfig,
    address,
    uiUrl,
    ownsServer: server !== undefined,
    worker,
    running,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await server?.stop();
    },
  };
}
