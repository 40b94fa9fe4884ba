// Everything activities need, built once per worker process: the agent registry, the Cedar policy
// set (parsed once per version), the classification rules, the LLM settings and the reviewers file
// with its notification channels (whose secrets must be in the environment).
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
import { uiUrlOf, type Config } from '../config/settings.js';
import { checkChannelEnv } from '../notify/channels.js';
import { SentLog } from '../notify/sentLog.js';

export interface Deps {
  agents: ReadonlyMap<string, Agent>;
  policy: PolicyEngine;
  classifier: RuleClassifier;
  reviewers: ReviewersFile;
  pricing: PricingTable;
  llm: LlmSettings;
  auditDir: string;
  /** Notifications: the record of sent ones, and where their links point. */
  notify: { log: SentLog; uiUrl: string; namespace: string };
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
  // A channel without its secrets would fail every notification: refuse to start instead.
  checkChannelEnv(reviewers, config.reviewersFile);
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
    notify: {
      log: new SentLog(join(config.dataDir, 'notify')),
      uiUrl: uiUrlOf(config),
      namespace: config.namespace,
    },
  };
}
