// A request in words: generate the plan (an activity: the LLM answers with structured output,
// validated; no model → one contract for human review), then become that plan's workflow. The
// plan keeps its id `plan/<planId>`; generation and execution are two runs of it in the Web UI.
import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  makeContinueAsNewFunc,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { WORKFLOW_TYPES } from '../shared/constants.js';
import { planStateQuery } from '../shared/messages.js';
import { fallbackPlan, RequestInput, type PlanState } from '../shared/plan.js';
import { invalidPayload } from '../shared/problems.js';
import type { planWorkflow } from './plan/index.js';

// Two LLM calls at most, each bounded by ARBITER_LLM_TIMEOUT_MS; model problems degrade inside
// the activity, so retries here are for the worker itself failing.
const GENERATE = { startToCloseTimeout: '5m', retry: { initialInterval: '2s', maximumAttempts: 3 } };
const { generatePlan } = proxyActivities<Activities>(GENERATE);

export async function requestWorkflow(payload: RequestInput): Promise<PlanState> {
  const parsed = RequestInput.safeParse(payload);
  if (!parsed.success) throw invalidPayload('request workflow input', parsed.error);
  const { prompt, planId } = parsed.data;
  const state: PlanState = {
    kind: 'plan',
    workflowId: workflowInfo().workflowId,
    planId,
    title: prompt.length > 70 ? `${prompt.slice(0, 67)}...` : prompt,
    strategy: 'dependency-aware',
    maxParallel: 8,
    status: 'generating',
    nodes: [],
    costUsd: 0,
    runs: 1,
  };
  setHandler(planStateQuery, () => state);
  const run = makeContinueAsNewFunc<typeof planWorkflow>({ workflowType: WORKFLOW_TYPES.plan });
  try {
    const g = await generatePlan.executeWithOptions({ ...GENERATE, summary: 'generate the plan' }, [
      { prompt, planId },
    ]);
    return await run({
      plan: g.plan,
      generation: {
        prompt,
        method: g.method,
        attempts: g.attempts,
        ...(g.reason ? { reason: g.reason } : {}),
      },
    });
  } catch (err) {
    // A cancelled request stays cancelled; only a failed generation degrades.
    if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
    // No usable plan after Temporal's retries: the request is never lost; a person takes it.
    const cause = err.cause instanceof ApplicationFailure ? err.cause : undefined;
    const reason = cause ? `${cause.type ?? 'error'}: ${cause.message}` : (err.cause?.message ?? err.message);
    return run({
      plan: fallbackPlan(prompt, planId),
      generation: { prompt, method: 'fallback', attempts: 0, reason },
    });
  }
}
