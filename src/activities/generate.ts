import type { Deps } from './deps.js';
import { generatePlan, type Generation } from '../llm/generatePlan.js';
import { createLlmClient, llmConfigured } from '../llm/client.js';

export const generateActivities = (deps: Deps) => {
  const client = llmConfigured(deps.llm) ? createLlmClient(deps.llm) : undefined;
  return {
    /**
     * A request in words → a validated plan. Never fails for a model problem: it degrades to one
     * contract for human review, with the reason, so the request is never lost.
     */
    async generatePlan(req: { prompt: string; planId: string }): Promise<Generation> {
      return generatePlan(req.prompt, req.planId, {
        client,
        model: deps.llm.model,
        timeoutMs: deps.llm.timeoutMs,
      });
    },
  };
};
