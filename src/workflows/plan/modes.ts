// Conditional plans: one routing decision per contract, before any starts (in batches, so a
// 1,000-contract plan adds a handful of activities): run it in parallel, in sequence, or after a
// person's review. A routing that fails after its retries sends the contracts to a person: unknown
// means review.
import { ActivityFailure, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { dependentsCount, routingBatches, type PlanRouting } from '../../shared/plan.js';
import type { PlanRun } from './run.js';

const DECIDING = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumAttempts: 5 },
} as const;
const { decideRunModes } = proxyActivities<Activities>(DECIDING);

export async function decideModes(run: PlanRun): Promise<void> {
  const { plan } = run;
  const undecided = run.state.nodes.filter((n) => !n.routing && n.status === 'pending');
  const dependents = dependentsCount(plan.contracts);
  const size = { id: plan.id, size: plan.contracts.length, maxParallel: plan.maxParallel };
  for (const batch of routingBatches(undecided)) {
    const items = batch.map((n) => ({
      contract: run.contracts.get(n.id)!,
      dependentsCount: dependents.get(n.id) ?? 0,
    }));
    let routed: PlanRouting[];
    try {
      routed = await decideRunModes.executeWithOptions(
        {
          ...DECIDING,
          summary: `route ${batch.length === 1 ? batch[0]!.id : `${batch.length} contracts`} by policy`,
        },
        [{ plan: size, items }],
      );
    } catch (err) {
      if (isCancellation(err)) throw err;
      const why = err instanceof ActivityFailure ? (err.cause?.message ?? err.message) : String(err);
      routed = batch.map(() => ({
        mode: 'human-review',
        policyIds: [],
        explanation: [`routing by policy failed (${why}); a person decides`],
        policyVersion: '',
        domain: 'unknown',
      }));
    }
    batch.forEach((n, i) => (n.routing = routed[i]));
  }
}
