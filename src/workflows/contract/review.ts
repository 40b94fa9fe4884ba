// Waiting for a person: one implementation for everything a person decides in a contract — the
// contract itself when policy asks for review, a pipeline stage, and a retry after every permitted
// agent failed. A durable wait with a deadline per level of the escalation chain; no answer by the
// end of the chain is the safe default, a rejection.
import { condition, setHandler } from '@temporalio/workflow';
import { DEFAULT_REVIEW_MS, SEARCH_ATTRIBUTES as SA } from '../../shared/constants.js';
import type { PolicyResult, ReviewRecord, ReviewSubject } from '../../shared/decision.js';
import type { ReviewLevel } from '../../shared/reviewers.js';
import { ReviewAnswer, reviewSignal, reviewUpdate } from '../../shared/messages.js';
import { reviewProblem } from '../../shared/review.js';
import { announce } from './notify.js';
import type { ContractRun } from './run.js';

/** Nobody named in the reviewers file: anyone may answer. */
const ANYONE: ReviewLevel[] = [{ group: 'reviewers', members: ['*'] }];

/**
 * Takes review answers for this run: an Update (the CLI's path) is refused by its validator when
 * it may not be taken; a Signal (the Web UI's path) that may not be taken is recorded and ignored.
 */
export function acceptReviews(run: ContractRun): void {
  const problem = (answer: unknown) =>
    reviewProblem(answer, run.review !== undefined, run.review?.permitted ?? [], run.review?.reviewers);
  const accept = (answer: ReviewAnswer, via: 'update' | 'signal') => {
    if (run.review) run.review.answer = { ...answer, via };
  };
  setHandler(
    reviewUpdate,
    async (answer) => {
      accept(ReviewAnswer.parse(answer), 'update');
      await condition(() => run.state.status !== 'awaiting-review');
      return run.state;
    },
    {
      validator: (answer) => {
        const why = problem(answer);
        if (why) throw new Error(why);
      },
    },
  );
  setHandler(reviewSignal, (answer) => {
    const why = problem(answer);
    if (why) run.record('signal-ignored', { signal: 'review', problem: why, payload: answer });
    else accept(ReviewAnswer.parse(answer), 'signal');
  });
}

export interface ReviewRequest {
  subject: ReviewSubject;
  why: string[];
  /** Agents policy permits once a person approves (a reviewer may pick one of them). */
  permitted: string[];
  /** The decision that asked for the review: its deadline and escalation chain. */
  decided: Pick<PolicyResult, 'reviewWithinMs' | 'reviewChain'>;
}

/**
 * Asks a person and waits. Each level of the chain gets the deadline; members of earlier levels
 * may still answer. Returns the answer, or the timeout's rejection.
 */
export async function askPerson(run: ContractRun, request: ReviewRequest): Promise<ReviewRecord> {
  const withinMs = request.decided.reviewWithinMs ?? DEFAULT_REVIEW_MS;
  const chain = request.decided.reviewChain ?? ANYONE;
  // So `arbiter reviews` and the Web UI list it with everything else a person must answer.
  run.tag({ key: SA.route, value: 'HUMAN_REVIEW' });
  run.publish();
  const open = { permitted: request.permitted, reviewers: [] as string[] };
  run.review = open;
  const review = ++run.reviews;
  const notice = { subject: request.subject, review, why: request.why };
  let asked = 0;
  let deadline = '';
  for (const [level, { group, channels = [] }] of chain.entries()) {
    open.reviewers = chain.slice(0, level + 1).flatMap((l) => l.members);
    deadline = new Date(new Date().getTime() + withinMs).toISOString();
    run.record('review-opened', {
      subject: request.subject,
      level,
      group,
      reviewers: open.reviewers,
      deadline,
      why: request.why,
      permitted: request.permitted,
    });
    asked = level + 1;
    const event = level === 0 ? 'review-opened' : 'review-escalated';
    announce(run, channels, { ...notice, event, level, group, reviewers: open.reviewers, deadline });
    if (await condition(() => run.review?.answer !== undefined, withinMs)) break;
  }
  const given = run.review?.answer;
  run.review = undefined;
  const at = new Date().toISOString();
  const record: ReviewRecord = given
    ? { ...given, at }
    : { decision: 'reject', reviewer: 'system', reason: 'review timed out', at, via: 'timeout' };
  run.record('review-answered', record);
  // Everyone asked hears how it ended.
  const told = chain.slice(0, asked);
  announce(
    run,
    told.flatMap((l) => l.channels ?? []),
    {
      ...notice,
      event: given ? 'review-answered' : 'review-timed-out',
      level: asked - 1,
      group: told.at(-1)?.group ?? '',
      reviewers: open.reviewers,
      deadline,
      answer: record,
    },
  );
  return record;
}

/** Why a rejected review ended the work: the reviewer's words, or the timeout. */
export const rejection = (answer: ReviewRecord, what?: string): string => {
  const prefix = what ? `${what}: ` : '';
  return answer.via === 'timeout'
    ? `${prefix}review timed out`
    : `${prefix}rejected by ${answer.reviewer}: ${answer.reason ?? ''}`;
};
