import { auditActivities } from './audit.js';
import { classifyActivities } from './classify.js';
import type { Deps } from './deps.js';
import { executeActivities } from './execute.js';
import { generateActivities } from './generate.js';
import { ledgerActivities, type LedgerLink } from './ledger.js';
import { notifyActivities } from './notify.js';
import { policyActivities } from './policy.js';
import { runModeActivities } from './runModes.js';
import { toolActivities } from './tools.js';

/** `link` overrides how ledgers are reached (default: the running activity's own client). */
export function createActivities(deps: Deps, link: LedgerLink = {}) {
  return {
    ...classifyActivities(deps),
    ...generateActivities(deps),
    ...policyActivities(deps, link),
    ...executeActivities(deps),
    ...auditActivities(deps),
    ...ledgerActivities(deps, link),
    ...runModeActivities(deps),
    ...toolActivities(deps),
    ...notifyActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
