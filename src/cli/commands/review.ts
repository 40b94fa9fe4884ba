// `arbiter reviews`, `arbiter approve` and `arbiter reject`: the human side of a review.
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
      process.stdout.write(
        `${r.workflowId}  ${r.title}\n  asked: ${r.group ?? 'reviewers'} until ${r.deadline}\n`,
      );
      if (r.reviewers) process.stdout.write(`  may answer: ${r.reviewers.join(', ')}\n`);
      for (const w of r.why) process.stdout.write(`  why: ${w}\n`);
      process.stdout.write(`  agents permitted on approval: ${r.permitted.join(', ') || 'none'}\n`);
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
