// Pure checks on a review answer, shared by the Update validator and the Signal handler.
import type { ReviewAnswer } from './messages.js';

export function reviewProblem(
  answer: unknown,
  waiting: boolean,
  permitted: readonly string[],
  reviewers: readonly string[] = ['*'],
): string | undefined {
  if (!waiting) return 'this contract is not waiting for review';
  if (!answer || typeof answer !== 'object')
    return 'a review answer is an object {decision, reviewer, reason?, agentId?}';
  const a = answer as Partial<ReviewAnswer>;
  if (a.decision !== 'approve' && a.decision !== 'reject') return 'decision must be "approve" or "reject"';
  if (typeof a.reviewer !== 'string' || a.reviewer.trim() === '') return 'reviewer must name who answers';
  if (!reviewers.includes('*') && !reviewers.includes(a.reviewer)) {
    return `${a.reviewer} may not answer this review; allowed now: ${reviewers.join(', ')}`;
  }
  if (a.decision === 'reject' && (typeof a.reason !== 'string' || a.reason.trim() === '')) {
    return 'a rejection needs a reason';
  }
  if (a.agentId !== undefined && typeof a.agentId !== 'string') return 'agentId must name an agent';
  if (a.reason !== undefined && typeof a.reason !== 'string') return 'reason must be text';
  if (a.agentId !== undefined && !permitted.includes(a.agentId)) {
    return `policy does not permit agent "${String(a.agentId)}" for this contract; permitted: ${permitted.join(', ') || 'none'}`;
  }
  return undefined;
}
