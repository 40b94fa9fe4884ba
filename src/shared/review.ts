// Whether a review answer may be taken, shared by the Update validator (the CLI's path, refused
// before it is recorded) and the Signal handler (the Web UI's path, ignored and recorded). Pure.
import { ReviewAnswer } from './messages.js';

export function reviewProblem(
  answer: unknown,
  waiting: boolean,
  permitted: readonly string[],
  reviewers: readonly string[] = ['*'],
): string | undefined {
  if (!waiting) return 'this contract is not waiting for review';
  if (!answer || typeof answer !== 'object' || Array.isArray(answer)) {
    return 'a review answer is an object {decision, reviewer, reason?, agentId?}';
  }
  const parsed = ReviewAnswer.safeParse(answer);
  if (!parsed.success) return parsed.error.issues.map((i) => i.message).join('; ');
  const a = parsed.data;
  if (!reviewers.includes('*') && !reviewers.includes(a.reviewer)) {
    return `${a.reviewer} may not answer this review; allowed now: ${reviewers.join(', ')}`;
  }
  if (a.decision === 'reject' && !a.reason?.trim()) return 'a rejection needs a reason';
  if (a.agentId !== undefined && !permitted.includes(a.agentId)) {
    return `policy does not permit agent "${a.agentId}" for this contract; permitted: ${permitted.join(', ') || 'none'}`;
  }
  return undefined;
}
