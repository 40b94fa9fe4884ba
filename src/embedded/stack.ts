// The embedded stack behind `arbiter dev` and `arbiter demo`: a Temporal dev server (unless
// TEMPORAL_ADDRESS names one, or one already answers on the dev port) and a worker.
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { addressOf, type Config } from '../config/settings.js';
import { loadDeps } from '../activities/deps.js';
import { connectWorker, createWorker } from '../worker.js';
import { createAgentPools, runWithPools } from '../runtime/agentPools.js';
import { startDevServer, type DevServer } from './devServer.js';
import { ensureSearchAttributes } from './searchAttributes.js';
import type { LocalModelServer } from '../llm/localServer.js';
import { localModelPath } from '../llm/modelPath.js';
import { llmSettingsFromEnv } from '../llm/client.js';
import { assertCardsUsable } from '../agents/a2a/checkCards.js';

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

/**
 * The embedded LLM: unless OPENAI_BASE_URL or OPENAI_API_KEY points elsewhere, a local
 * OpenAI-compatible server over the provisioned model, and the LLM layer aimed at it.
 */
async function startLocalLlm(log: (line: string) => void): Promise<LocalModelServer | undefined> {
  if (process.env.OPENAI_BASE_URL || process.env.OPENAI_API_KEY) {
    log(`LLM: ${process.env.OPENAI_BASE_URL ?? 'OpenAI'} (from the environment)`);
    return undefined;
  }
  if (!localModelPath()) {
    log('LLM: none (no local model provisioned; run `npm run setup`, or set OPENAI_BASE_URL)');
    return undefined;
  }
  // Imported here: the model runtime (node-llama-cpp) is large, and only this path needs it.
  const { startLocalModelServer } = await import('../llm/localServer.js');
  const server = await startLocalModelServer({ port: 0 });
  process.env.OPENAI_BASE_URL = server.baseURL;
  process.env.ARBITER_LLM_MODEL ||= server.model;
  // A small model on a CPU is slow, and it answers one request at a time.
  process.env.ARBITER_LLM_TIMEOUT_MS ||= '180000';
  log(`LLM: local model ${server.model} at ${server.baseURL}`);
  return server;
}

export async function startStack(config: Config, log: (line: string) => void): Promise<Stack> {
  // Agents, policies and rules are checked before anything starts: bad input starts nothing.
  const checked = loadDeps(config);
  await assertCardsUsable(config.agentsFile, [...checked.agents.values()], log);
  const llm = await startLocalLlm(log);
  const deps = { ...checked, llm: llmSettingsFromEnv() };
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
  // Agents with limits run on their own queues, served by pools in this process beside the worker.
  const pools = await createAgentPools({ config: stackConfig, deps }, connection);
  const running = runWithPools(worker, pools).finally(() => connection.close());
  log(`worker polling task queue "${config.taskQueue}"`);
  for (const p of pools) log(`agent ${p.agentId}: its own queue "${p.queue}" (limits in agents.yaml)`);
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
      await llm?.stop();
    },
  };
}
