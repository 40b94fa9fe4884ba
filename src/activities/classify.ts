import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Deps } from './deps.js';
import { loadDomainDescriptions, type DomainDescriptions } from '../governance/domainDescriptions.js';
import { EmbeddingJudge } from '../governance/embeddingJudge.js';
import { askLlm, combine, type LlmOutcome } from '../governance/llmClassifier.js';
import { classificationEmbeddingModel, createLlmClient, llmConfigured } from '../llm/client.js';
import type { Contract } from '../shared/contract.js';
import type { Classification } from '../shared/decision.js';
import { costOf } from '../shared/pricing.js';

/**
 * The judge's descriptions of the domains: ARBITER_DOMAIN_DESCRIPTIONS (which must exist), else
 * config/domain-descriptions.yaml when there is one; without any, only the chat model judges.
 */
export function readDescriptions(
  deps: Deps,
  env: NodeJS.ProcessEnv = process.env,
): DomainDescriptions | undefined {
  const file = resolve(env.ARBITER_DOMAIN_DESCRIPTIONS || 'config/domain-descriptions.yaml');
  if (!env.ARBITER_DOMAIN_DESCRIPTIONS && !existsSync(file)) return undefined;
  return loadDomainDescriptions(file, deps.classifier.ruleSet);
}

export const classifyActivities = (deps: Deps, descriptions?: DomainDescriptions) => {
  // One client per worker: the SDK keeps connections alive between calls.
  const client = llmConfigured(deps.llm) ? createLlmClient(deps.llm) : undefined;
  const embeddingModel = classificationEmbeddingModel(deps.llm);
  // Read once at worker start, so a broken file stops the worker with its name, not a contract.
  const described = client ? (descriptions ?? readDescriptions(deps)) : undefined;
  const judge =
    client && embeddingModel && described
      ? new EmbeddingJudge(described, {
          client,
          model: embeddingModel,
          timeoutMs: deps.llm.classifyTimeoutMs,
        })
      : undefined;
  return {
    /**
     * Rules first; a model only when the rules are unsure — the embedding judge when one is
     * configured, else the chat model — and only with evidence quoted from the contract. A failed
     * or unsupported answer degrades to a rules-only `fallback` result instead of failing. The
     * classifier never sees the agent list.
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
      const outcome: LlmOutcome = judge
        ? { ...(await judge.ask(contract)), by: `embedding judge ${judge.model}` }
        : await askLlm(
            contract,
            domains,
            { client, model: deps.llm.model, timeoutMs: deps.llm.classifyTimeoutMs },
            described,
          );
      const result = combine(rules, outcome, described?.strict);
      if (!outcome.usage) return result;
      const model = judge ? judge.model : deps.llm.model;
      const costUsd = costOf(deps.pricing.models[model], outcome.usage);
      return { ...result, usage: { ...outcome.usage, costUsd } };
    },
  };
};
