import type { Command } from 'commander';
import { withClient } from '../context.js';
import { printJson, summaryLines, timelineLines, uiBaseFromEnv, webUiLink } from '../output.js';

export function registerReads(program: Command): void {
  program
    .command('status <id>')
    .description('state of a contract: route, agent, outcome, cost')
    .option('--json', 'print one JSON document')
    .action(async (id: string, opts: { json?: boolean }) => {
      await withClient(async (arbiter) => {
        const state = await arbiter.status(id);
        if (opts.json) return printJson(state);
        const lines = summaryLines(state);
        lines.push(`  Web UI      ${webUiLink(uiBaseFromEnv(), arbiter.config.namespace, state.workflowId)}`);
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
        if (opts.json) {
          const {
            workflowId,
            classification,
            decision,
            review,
            attempts,
            validationErrors,
            usage,
            outcome,
            trail,
          } = state;
          return printJson({
            workflowId,
            classification,
            decision,
            review,
            attempts,
            validationErrors,
            usage,
            outcome,
            trail,
          });
        }
        process.stdout.write(`${timelineLines(state).join('\n')}\n`);
      });
    });
}
