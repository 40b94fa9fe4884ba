import type { Command } from 'commander';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { connect } from '../../client.js';
import { loadConfig, addressOf } from '../../config/settings.js';
import { loadDeps } from '../../activities/deps.js';
import { connectWorker, createWorker } from '../../worker.js';
import { createAgentPools, runWithPools } from '../../runtime/agentPools.js';
import { startStack } from '../../embedded/stack.js';
import { ensureSearchAttributes } from '../../embedded/searchAttributes.js';
import { assertCardsUsable } from '../../agents/a2a/checkCards.js';

const log = (line: string) => process.stderr.write(`arbiter: ${line}\n`);

/** Quiet SDK logs for interactive commands; ARBITER_LOG_LEVEL=INFO brings them back. */
export function installRuntime(defaultLevel: 'WARN' | 'INFO'): void {
  const level = (process.env.ARBITER_LOG_LEVEL ?? defaultLevel) as 'WARN' | 'INFO' | 'DEBUG' | 'ERROR';
  Runtime.install({ logger: new DefaultLogger(level) });
}

export function registerStack(program: Command): void {
  program
    .command('dev')
    .description('run the embedded stack: Temporal server + Web UI + worker, until Ctrl-C')
    .action(async () => {
      installRuntime('WARN');
      const stack = await startStack(loadConfig(), log);
      log(`ready: Temporal at ${stack.address}, Web UI at ${stack.uiUrl}. Ctrl-C stops everything.`);
      // The SDK's runtime turns SIGINT/SIGTERM into a worker shutdown; then the server stops.
      await stack.running;
      await stack.stop();
      log('stopped');
    });

  program
    .command('worker')
    .description('run a worker against TEMPORAL_ADDRESS (more workers = more capacity)')
    .action(async () => {
      installRuntime('INFO');
      const config = loadConfig();
      const deps = loadDeps(config);
      // A2A agents' cards: a malformed one stops the worker before it polls (exit 2).
      await assertCardsUsable(config.agentsFile, [...deps.agents.values()], log);
      // The same address, TLS and API key as the worker's own connection.
      const client = await connect(config).catch(() => undefined);
      if (client) {
        await ensureSearchAttributes(client, config.namespace).catch((err: Error) =>
          log(`could not register search attributes (${err.message}); ask an operator to add them`),
        );
        await client.close();
      }
      const connection = await connectWorker(config);
      const worker = await createWorker({ config, deps }, connection);
      const pools = await createAgentPools({ config, deps }, connection);
      log(`worker polling "${config.taskQueue}" on ${addressOf(config)} (namespace ${config.namespace})`);
      for (const p of pools) log(`agent ${p.agentId}: polling its own queue "${p.queue}"`);
      // The SDK shuts the worker and its pools down on SIGINT/SIGTERM; one stopping stops all.
      await runWithPools(worker, pools).finally(() => connection.close());
    });
}
