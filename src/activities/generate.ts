import type { Deps } from './deps.js';
import { generatePlan, type Generation } from '../llm/generatePlan.js';
import { createLlmClient, llmConfigured } from '../llm/client.js';
import { costOf } from '../shared/pricing.js';

export const generateActivities = (deps: Deps) => {
  const client = llmConfigured(deps.llm) ? createLlmClient(deps.llm) : undefined;
  return {
    /**
     * A request in words → a validated plan, with what the LLM calls cost. Model failures are
     * typed (see generatePlan); the request workflow degrades on them, so nothing is lost.
     */
    async generatePlan(req: { prompt: string; planId: string }): Promise<Generation> {
      const g = await generatePlan(req.prompt, req.planId, {
        client,
        model: deps.llm.model,
        timeoutMs: deps.llm.timeoutMs,
      });
      return { ...g, usage: { ...g.usage, costUsd: costOf(deps.pricing.models[deps.llm.model], g.usage) } };
    },
  };
};
