import type { Command } from 'commander';
import { isPlanState } from '../../client.js';
import { withClient } from '../context.js';
import { printJson, stateLines, timelineLines, uiBaseFromEnv, webUiLink } from '../output.js';

export function registerReads(program: Command): void {
  program
    .command('status <id>')
    .description('state of a plan or contract: per-contract route, agent, outcome, cost')
    .option('--json', 'print one JSON document')
    .action(async (id: string, opts: { json?: boolean }) => {
      await withClient(async (arbiter) => {
        const state = await arbiter.status(id);
        if (opts.json) return printJson(state);
        const lines = stateLines(state);
        lines.push(
          `  Web UI      ${webUiLink(uiBaseFromEnv(arbiter.config), arbiter.config.namespace, state.workflowId)}`,
        );
        process.stdout.write(`${lines.join('\n')}\n`);
      });
    });

  program
    .command('audit <id>')
    .description('the decision trail: classification, policy, agent, attempts, review, validation, cost')
    .option('--json', 'print one JSON document')
    .action(async (id: string, opts: { json?: boolean }) => {
      await withClient(async (arbiter) => {
        const state = await arbiter.audit(id);
        if (isPlanState(state)) {
          // A plan's trail is its contracts' trails: list them, each readable with `audit <id>`.
          if (opts.json) return printJson(state);
          const lines = stateLines(state);
          lines.push(
            '  (each contract: arbiter audit <workflow id>, e.g. arbiter audit ' +
              (state.nodes[0]?.workflowId ?? '') +
              ')',
          );
          return void process.stdout.write(`${lines.join('\n')}\n`);
        }
        if (opts.json) {
          // The trail and the decisions behind it, without the agent's output.
          const { output: _output, ...trail } = state;
          return printJson(trail);
        }
        process.stdout.write(`${timelineLines(state).join('\n')}\n`);
      });
    });

  program
    .command('cancel <id>')
    .description('cancel a plan or contract; running contracts are told, and the trail records it')
    .option('--reason <text>', 'why', 'cancelled from the command line')
    .option('--as <who>', 'who cancels (default: ARBITER_REVIEWER or the OS user)')
    .action(async (id: string, opts: { reason: string; as?: string }) => {
      const { userInfo } = await import('node:os');
      await withClient(async (arbiter) => {
        await arbiter.cancel(id, opts.reason, opts.as ?? process.env.ARBITER_REVIEWER ?? userInfo().username);
        process.stdout.write(`cancellation requested for ${id}\n`);
      });
    });
}
