// Conditional plans: Cedar decides, per contract, whether it runs in parallel, in sequence or
// after a person's review (policies/plans.cedar). The contract is classified by the rules alone:
// routing happens before anything starts, for every contract of the plan, so it must be cheap and
// give the same answer for the same contract; the contract's own classification still runs later.
import type { Deps } from './deps.js';
import type { Contract } from '../shared/contract.js';
import type { PlanRouting } from '../shared/plan.js';

export interface RouteRequest {
  plan: { id: string; size: number; maxParallel: number };
  /** A batch of the plan's contracts, each with how many contracts depend on it directly. */
  items: { contract: Contract; dependentsCount: number }[];
}

export const runModeActivities = (deps: Deps) => ({
  /** One routing decision per contract, in the order given. In process: microseconds each. */
  async decideRunModes(req: RouteRequest): Promise<PlanRouting[]> {
    return Promise.resolve(
      req.items.map(({ contract, dependentsCount }) =>
        deps.policy.routeInPlan({
          plan: req.plan,
          contract,
          classification: deps.classifier.classify(contract),
          dependsOnCount: contract.dependsOn.length,
          dependentsCount,
          hasPipeline: contract.pipeline !== undefined,
        }),
      ),
    );
  },
});
