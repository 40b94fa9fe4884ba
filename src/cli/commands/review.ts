import type { Command } from 'commander';
import { userInfo } from 'node:os';
import { withClient } from '../context.js';
import { printJson, summaryLines } from '../output.js';
import { badInput } from '../../shared/errors.js';

const reviewer = (as?: string) => as ?? process.env.ARBITER_REVIEWER ?? userInfo().username;

export function registerReview(program: Command): void {
  program
    .command('reviews')
    .description('contracts waiting for a human, with why and the deadline')
    .option('--json', 'print one JSON document')
    .action(async (opts: { json?: boolean }) => {
      await withClient(async (arbiter) => {
        const items = await arbiter.reviews();
        if (opts.json) return printJson(items);
        if (items.length === 0) return void process.stdout.write('nothing waits for review\n');
        for (const r of items) {
          process.stdout.write(
            `${r.workflowId}  ${r.title}\n  ${r.subject === 'agent-question' ? 'an agent asks' : 'asked'}: ${r.group ?? 'reviewers'} until ${r.deadline}\n`,
          );
          if (r.reviewers) process.stdout.write(`  may answer: ${r.reviewers.join(', ')}\n`);
          for (const w of r.why) process.stdout.write(`  why: ${w}\n`);
          if (r.subject === 'agent-question') {
            process.stdout.write(
              `  answer with: arbiter answer ${r.workflowId} --text TEXT (or reject --reason)\n`,
            );
          } else
            process.stdout.write(`  agents permitted on approval: ${r.permitted.join(', ') || 'none'}\n`);
        }
      });
    });

  program
    .command('approve <id>')
    .description('approve a contract waiting for review')
    .option('--agent <agent>', 'the agent to use, among those policy permits')
    .option('--reason <text>', 'why')
    .option('--as <reviewer>', 'who approves (default: ARBITER_REVIEWER or the OS user)')
    .option('--json', 'print one JSON document')
    .action(async (id: string, opts: { agent?: string; reason?: string; as?: string; json?: boolean }) => {
      await withClient(async (arbiter) => {
        const state = await arbiter.review(id, {
          decision: 'approve',
          reviewer: reviewer(opts.as),
          ...(opts.reason ? { reason: opts.reason } : {}),
          ...(opts.agent ? { agentId: opts.agent } : {}),
        });
        if (opts.json) printJson(state);
        else process.stdout.write(`approved\n${summaryLines(state).join('\n')}\n`);
      });
    });

  program
    .command('answer <id>')
    .description("answer an agent's question (an A2A agent waiting for input): the text goes back to it")
    .requiredOption('--text <text>', 'the answer the agent gets')
    .option('--as <reviewer>', 'who answers (default: ARBITER_REVIEWER or the OS user)')
    .option('--json', 'print one JSON document')
    .action(async (id: string, opts: { text: string; as?: string; json?: boolean }) => {
      if (!opts.text.trim()) throw badInput('answer needs --text TEXT: the answer the agent gets');
      await withClient(async (arbiter) => {
        const state = await arbiter.review(id, {
          decision: 'approve',
          reviewer: reviewer(opts.as),
          text: opts.text,
        });
        if (opts.json) printJson(state);
        else process.stdout.write(`answered\n${summaryLines(state).join('\n')}\n`);
      });
    });

  program
    .command('reject <id>')
    .description('reject a contract waiting for review (a reason is required)')
    .option('--reason <text>', 'why (required)')
    .option('--as <reviewer>', 'who rejects (default: ARBITER_REVIEWER or the OS user)')
    .option('--json', 'print one JSON document')
    .action(async (id: string, opts: { reason?: string; as?: string; json?: boolean }) => {
      if (!opts.reason?.trim())
        throw badInput('reject needs --reason TEXT: a rejection is recorded with its reason');
      await withClient(async (arbiter) => {
        const state = await arbiter.review(id, {
          decision: 'reject',
          reviewer: reviewer(opts.as),
          reason: opts.reason!,
        });
        if (opts.json) printJson(state);
        else process.stdout.write(`rejected\n${summaryLines(state).join('\n')}\n`);
      });
    });
}
