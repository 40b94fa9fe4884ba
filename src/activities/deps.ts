// Everything activities need, built once per worker process: the agent registry, the Cedar policy
// set (parsed once per version), the classification rules and the LLM settings.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RuleClassifier } from '../governance/classifier.js';
import { loadPolicySet, PolicyEngine } from '../governance/policy.js';
import { llmSettingsFromEnv, type LlmSettings } from '../llm/client.js';
import type { Agent } from '../shared/agent.js';
import { loadAgents, readDocument, validate } from '../config/files.js';
import { RuleSet } from '../shared/rules.js';
import { ReviewersFile } from '../shared/reviewers.js';
import { PricingTable } from '../shared/pricing.js';
import type { Config } from '../config/settings.js';

export interface Deps {
  agents: ReadonlyMap<string, Agent>;
  policy: PolicyEngine;
  classifier: RuleClassifier;
  reviewers: ReviewersFile;
  pricing: PricingTable;
  llm: LlmSettings;
  auditDir: string;
}

export function loadDeps(config: Config): Deps {
  const agents = loadAgents(config.agentsFile).agents;
  const rules = validate(RuleSet, readDocument(config.rulesFile), config.rulesFile, 'classification rules');
  const reviewers = validate(
    ReviewersFile,
    readDocument(config.reviewersFile),
    config.reviewersFile,
    'reviewers file',
  );
  const pricing = validate(
    PricingTable,
    readDocument(config.pricingFile),
    config.pricingFile,
    'pricing table',
  );
  const auditDir = join(config.dataDir, 'audit');
  mkdirSync(auditDir, { recursive: true });
  return {
    agents: new Map(agents.map((a) => [a.id, a])),
    policy: new PolicyEngine(loadPolicySet(config.policiesDir)),
    classifier: new RuleClassifier(rules),
    reviewers,
    pricing,
    llm: llmSettingsFromEnv(),
    auditDir,
  };
}
