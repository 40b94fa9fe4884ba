import { auditActivities } from './audit.js';
import { classifyActivities } from './classify.js';
import type { Deps } from './deps.js';
import { executeActivities } from './execute.js';
import { generateActivities } from './generate.js';
import { ledgerActivities, type LedgerLink } from './ledger.js';
import { notifyActivities } from './notify.js';
import { policyActivities } from './policy.js';
import { routeActivities } from './route.js';

/** `link` overrides how ledgers are reached (default: the running activity's own client). */
export function createActivities(deps: Deps, link: LedgerLink = {}) {
  return {
    ...classifyActivities(deps),
    ...generateActivities(deps),
    ...policyActivities(deps, link),
    ...executeActivities(deps),
    ...auditActivities(deps),
    ...ledgerActivities(deps, link),
    ...routeActivities(deps),
    ...notifyActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
