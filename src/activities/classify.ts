import type { Deps } from './deps.js';
import { askLlm, combine } from '../governance/llmClassifier.js';
import { createLlmClient, llmConfigured } from '../llm/client.js';
import type { Contract } from '../shared/contract.js';
import type { Classification } from '../shared/decision.js';
import { costOf } from '../shared/pricing.js';

export const classifyActivities = (deps: Deps) => {
  // One client per worker: the SDK keeps connections alive between calls.
  const client = llmConfigured(deps.llm) ? createLlmClient(deps.llm) : undefined;
  return {
    /**
     * Rules first; the LLM only when the rules are unsure, and a failed LLM degrades to a
     * rules-only `fallback` result instead of failing. The classifier never sees the agent list.
     */
    async classify(contract: Contract): Promise<Classification> {
      const rules = deps.classifier.classify(contract);
      const threshold = deps.classifier.ruleSet.threshold;
      if (rules.confidence >= threshold) return rules;
      if (!client) {
        return {
          ...rules,
          reasoning: [...rules.reasoning, `rules unsure (< ${threshold}); no LLM configured`],
        };
      }
      const domains = Object.keys(deps.classifier.ruleSet.domains);
      const llm = await askLlm(contract, domains, {
        client,
        model: deps.llm.model,
        timeoutMs: deps.llm.classifyTimeoutMs,
      });
      const result = combine(rules, llm);
      if (!llm.ok || !llm.usage) return result;
      const costUsd = costOf(deps.pricing.models[deps.llm.model], llm.usage);
      return { ...result, usage: { ...llm.usage, costUsd } };
    },
  };
};
