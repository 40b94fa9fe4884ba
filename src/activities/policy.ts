import { ApplicationFailure } from '@temporalio/common';
import type { Deps } from './deps.js';
import { selectAgent } from '../governance/select.js';
import { chainFor } from '../shared/reviewers.js';
import type { Contract } from '../shared/contract.js';
import type { Classification, PolicyResult, Selection, Standing } from '../shared/decision.js';
import { Context } from '@temporalio/activity';
import type { LedgerLink } from './ledger.js';
import { StandingsCache } from './standings.js';

export interface PolicyRequest {
  contract: Contract;
  classification: Classification;
  reviewed?: boolean;
  role?: string;
}

export const policyActivities = (deps: Deps, link: LedgerLink = {}) => {
  const standingsCache = new StandingsCache(link.standingsTtlMs);
  return {
    /**
     * Cedar decides, with each agent's measured trust read from its ledger; the result carries the
     * policy ids, explanations, the policy version and the standings the decision used.
     */
    async evaluatePolicy(req: PolicyRequest): Promise<PolicyResult> {
      const agents = [...deps.agents.values()];
      const client = link.client ?? Context.current().client;
      const taskQueue = link.taskQueue ?? Context.current().info.taskQueue;
      const standings = await standingsCache.read(
        client,
        taskQueue,
        agents.map((a) => a.id),
        Date.now(),
      );
      const result = deps.policy.evaluate({
        ...req,
        agents,
        reviewed: req.reviewed ?? false,
        trust: new Map(standings.map((s) => [s.agentId, s])),
      });
      // Also for AGENT routes: when every permitted agent fails, the contract escalates to them.
      // Each level carries its group's notification channels: whom the workflow tells, level by level.
      const reviewChain = chainFor(deps.reviewers, req.classification.domain);
      return { ...result, standings, reviewChain };
    },

    /** Ranks the agents policy permitted; `preferred` is a reviewer's pick, already permitted. */
    async selectAgent(req: {
      permitted: string[];
      preferred?: string;
      standings?: Standing[];
    }): Promise<Selection> {
      const agents = req.permitted.map((id) => {
        const agent = deps.agents.get(id);
        // The registry changed between decision and selection: nothing to run, never a guess.
        if (!agent)
          throw ApplicationFailure.nonRetryable(`agent "${id}" is no longer registered`, 'UnknownAgent');
        return agent;
      });
      // This activity runs on the deployment's main queue; agent queues are named under it.
      const taskQueue = Context.current().info.taskQueue;
      return Promise.resolve(selectAgent(agents, req.standings, req.preferred, taskQueue));
    },
  };
};
