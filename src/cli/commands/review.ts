// `arbiter reviews`, `approve`, `reject` and `answer`: the human side of a review.
import { userInfo } from 'node:os';
import { withClient } from '../context.js';
import { printJson, summaryLines } from '../output.js';
import { badInput } from '../../shared/errors.js';

export interface ApproveOptions {
  agent?: string;
  reason?: string;
  as?: string;
  json?: boolean;
}

export interface AnswerOptions {
  text: string;
  as?: string;
  json?: boolean;
}

export interface RejectOptions {
  reason?: string;
  as?: string;
  json?: boolean;
}

const reviewer = (as?: string) => as ?? process.env.ARBITER_REVIEWER ?? userInfo().username;

/** `arbiter reviews [--json]`. */
export async function reviews(opts: { json?: boolean }): Promise<void> {
  await withClient(async (arbiter) => {
    const items = await arbiter.reviews();
    if (opts.json) return printJson(items);
    if (items.length === 0) return void process.stdout.write('nothing waits for review\n');
    for (const r of items) {
      const asks = r.subject === 'agent-question';
      process.stdout.write(
        `${r.workflowId}  ${r.title}\n  ${asks ? 'an agent asks' : 'asked'}: ${r.group ?? 'reviewers'} until ${r.deadline}\n`,
      );
      if (r.reviewers) process.stdout.write(`  may answer: ${r.reviewers.join(', ')}\n`);
      for (const w of r.why) process.stdout.write(`  why: ${w}\n`);
      if (asks) {
        process.stdout.write(
          `  answer with: arbiter answer ${r.workflowId} --text TEXT (or reject --reason)\n`,
        );
      } else process.stdout.write(`  agents permitted on approval: ${r.permitted.join(', ') || 'none'}\n`);
    }
  });
}

/** `arbiter approve ID [--agent A] [--reason T] [--as NAME] [--json]`. */
export async function approve(id: string, opts: ApproveOptions): Promise<void> {
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
}

/** `arbiter answer ID --text T [--as NAME] [--json]`: the text goes back to the agent that asked. */
export async function answer(id: string, opts: AnswerOptions): Promise<void> {
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
}

/** `arbiter reject ID --reason T [--as NAME] [--json]`: a rejection always carries its reason. */
export async function reject(id: string, opts: RejectOptions): Promise<void> {
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
}
