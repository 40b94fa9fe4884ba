import { ApplicationFailure } from '@temporalio/common';
import type { Deps } from './deps.js';
import { selectAgent } from '../governance/select.js';
import { chainFor } from '../shared/reviewers.js';
import type { Contract } from '../shared/contract.js';
import type { Classification, PolicyResult, Selection } from '../shared/decision.js';

export interface PolicyRequest {
  contract: Contract;
  classification: Classification;
  reviewed?: boolean;
  role?: string;
}

export const policyActivities = (deps: Deps) => ({
  /** Cedar decides; the result carries the policy ids, explanations and the policy version. */
  async evaluatePolicy(req: PolicyRequest): Promise<PolicyResult> {
    const result = deps.policy.evaluate({
      ...req,
      agents: [...deps.agents.values()],
      reviewed: req.reviewed ?? false,
    });
    if (result.route !== 'HUMAN_REVIEW') return Promise.resolve(result);
    return Promise.resolve({ ...result, reviewChain: chainFor(deps.reviewers, req.classification.domain) });
  },

  /** Ranks the agents policy permitted; `preferred` is a reviewer's pick, already permitted. */
  async selectAgent(req: { permitted: string[]; preferred?: string }): Promise<Selection> {
    const agents = req.permitted.map((id) => {
      const agent = deps.agents.get(id);
      // The registry changed between decision and selection: nothing to run, never a guess.
      if (!agent)
        throw ApplicationFailure.nonRetryable(`agent "${id}" is no longer registered`, 'UnknownAgent');
      return agent;
    });
    return Promise.resolve(selectAgent(agents, req.preferred));
  },
});
