// `arbiter rate ID --score 1..5 [--comment T]`: a person's satisfaction with a contract's result,
// reported by `arbiter metrics`. Stored in <ARBITER_DATA_DIR>/ratings.jsonl; the last one wins.
import { userInfo } from 'node:os';
import { appendRating, parseScore, type Rating } from '../../audit/ratings.js';
import { WORKFLOW_TYPES } from '../../shared/constants.js';
import { ArbiterError } from '../../shared/errors.js';
import { withClient } from '../context.js';
import { printJson } from '../output.js';

export interface RateOptions {
  score: string;
  comment?: string;
  as?: string;
  json?: boolean;
}

export async function rate(id: string, opts: RateOptions): Promise<Rating> {
  const score = parseScore(opts.score);
  return withClient(async (arbiter) => {
    const handle = await arbiter.resolve(id);
    const { type } = await handle.describe();
    if (type !== WORKFLOW_TYPES.contract) {
      throw new ArbiterError('NOT_FOUND', `${handle.workflowId} is a plan; rate each of its contracts`);
    }
    const rating: Rating = {
      workflowId: handle.workflowId,
      score,
      ...(opts.comment ? { comment: opts.comment } : {}),
      by: opts.as ?? process.env.ARBITER_REVIEWER ?? userInfo().username,
      at: new Date().toISOString(),
    };
    appendRating(arbiter.config.dataDir, rating);
    return rating;
  });
}

/** `arbiter rate ID --score N [--comment T] [--as WHO] [--json]`. */
export async function printRate(id: string, opts: RateOptions): Promise<void> {
  const r = await rate(id, opts);
  if (opts.json) return printJson(r);
  process.stdout.write(`rated ${r.workflowId}: ${r.score}/5${r.comment ? ` (${r.comment})` : ''}\n`);
}
