import { describe, expect, it } from 'vitest';
import { reviewProblem } from '../../src/shared/review.js';
import { chainFor, ReviewersFile } from '../../src/shared/reviewers.js';
import { readDocument, validate } from '../../src/config/files.js';
import { repoFile } from '../support/temporal.js';

describe('review answers', () => {
  const permitted = ['analyst'];
  const ok = { decision: 'approve', reviewer: 'alice' };

  it('accepts a well-formed answer from an allowed reviewer', () => {
    expect(reviewProblem(ok, true, permitted, ['alice'])).toBeUndefined();
    expect(reviewProblem({ ...ok, reviewer: 'anyone' }, true, permitted, ['*'])).toBeUndefined();
  });

  it('refuses answers when not waiting, malformed, outside the group, or naming a forbidden agent', () => {
    expect(reviewProblem(ok, false, permitted, ['alice'])).toBe('this contract is not waiting for review');
    expect(reviewProblem('yes', true, permitted)).toMatch(/is an object/);
    expect(reviewProblem({ decision: 'maybe', reviewer: 'alice' }, true, permitted)).toMatch(
      /decision must be/,
    );
    expect(reviewProblem({ decision: 'approve', reviewer: ' ' }, true, permitted)).toMatch(
      /reviewer must name/,
    );
    expect(reviewProblem({ decision: 'reject', reviewer: 'alice' }, true, permitted)).toBe(
      'a rejection needs a reason',
    );
    expect(reviewProblem({ ...ok, reviewer: 'mallory' }, true, permitted, ['alice', 'bob'])).toBe(
      'mallory may not answer this review; allowed now: alice, bob',
    );
    expect(reviewProblem({ ...ok, agentId: 'ghost' }, true, permitted)).toMatch(
      /policy does not permit agent "ghost".*permitted: analyst/,
    );
  });

  it('picks the escalation chain by domain, falling back to the default', () => {
    const file = validate(ReviewersFile, readDocument(repoFile('config/reviewers.yaml')), 'r', 'reviewers');
    expect(chainFor(file, 'finance').map((l) => l.group)).toEqual([
      'analysts',
      'finance-leads',
      'compliance',
    ]);
    expect(chainFor(file, 'data').map((l) => l.group)).toEqual(['analysts', 'compliance']);
    expect(chainFor(file, 'data')[1]?.members).toEqual(['dave']);
  });

  it('refuses a chain naming an unknown group', () => {
    const bad = ReviewersFile.safeParse({ groups: { a: ['x'] }, escalation: { default: ['a', 'ghosts'] } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toContain('unknown group "ghosts"');
  });
});
