// `arbiter worker`: one worker (and its agent pools) for TEMPORAL_ADDRESS until SIGINT or SIGTERM.
// It starts from the prebuilt workflow bundle (src/runtime/workflowBundle.ts), so joining a task
// queue takes about a second; the search attributes are checked while the worker is being built.
import { connect } from '../../client.js';
import { loadConfig, addressOf, type Config } from '../../config/settings.js';
import { loadDeps } from '../../activities/deps.js';
import { connectWorker, createWorker } from '../../worker.js';
import { createAgentPools, runWithPools } from '../../runtime/agentPools.js';
import { ensureSearchAttributes } from '../../embedded/searchAttributes.js';
import { installRuntime } from '../sdkRuntime.js';
import { assertCardsUsable } from '../../agents/a2a/checkCards.js';

const log = (line: string) => process.stderr.write(`arbiter: ${line}\n`);

/** Registers Arbiter's search attributes if missing; a worker without the rights only warns. */
async function searchAttributes(config: Config): Promise<void> {
  // The same address, TLS and API key as the worker's own connection.
  const client = await connect(config).catch(() => undefined);
  if (!client) return;
  try {
    await ensureSearchAttributes(client, config.namespace);
  } catch (err) {
    log(`could not register search attributes (${(err as Error).message}); ask an operator to add them`);
  } finally {
    await client.close();
  }
}

export async function worker(): Promise<void> {
  installRuntime('INFO');
  const config = loadConfig();
  // Agents, policies and rules first: a bad file stops the worker (exit 2) before it connects.
  const deps = loadDeps(config);
  // A2A agents' cards: a malformed one stops the worker before it polls (exit 2).
  await assertCardsUsable(config.agentsFile, [...deps.agents.values()], log);
  const attributes = searchAttributes(config);
  const connection = await connectWorker(config);
  const worker = await createWorker({ config, deps }, connection);
  const pools = await createAgentPools({ config, deps }, connection);
  // Polling starts only once the attributes exist: the workflows set them on their first task.
  await attributes;
  log(`worker polling "${config.taskQueue}" on ${addressOf(config)} (namespace ${config.namespace})`);
  for (const p of pools) log(`agent ${p.agentId}: polling its own queue "${p.queue}"`);
  // The SDK shuts the worker and its pools down on SIGINT/SIGTERM; one stopping stops all.
  await runWithPools(worker, pools).finally(() => connection.close());
}
