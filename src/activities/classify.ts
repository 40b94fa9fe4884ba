import type { Deps } from './deps.js';
import type { Contract } from '../shared/contract.js';
import type { Classification } from '../shared/decision.js';

export const classifyActivities = (deps: Deps) => ({
  /** Rules-first classification; the classifier never sees the agent list. */
  async classify(contract: Contract): Promise<Classification> {
    return Promise.resolve(deps.classifier.classify(contract));
  },
});
