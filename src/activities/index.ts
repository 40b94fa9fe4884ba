import { auditActivities } from './audit.js';
import { classifyActivities } from './classify.js';
import type { Deps } from './deps.js';
import { executeActivities } from './execute.js';
import { policyActivities } from './policy.js';

export function createActivities(deps: Deps) {
  return {
    ...classifyActivities(deps),
    ...policyActivities(deps),
    ...executeActivities(deps),
    ...auditActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
