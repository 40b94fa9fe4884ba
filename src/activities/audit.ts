import { writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Deps } from './deps.js';
import type { ContractState } from '../shared/decision.js';

export const auditFileName = (workflowId: string): string =>
  `${workflowId.replace(/[^a-zA-Z0-9._-]/g, '_')}.json`;

export const auditActivities = (deps: Deps) => ({
  /**
   * Writes the contract's trail to the data dir. Idempotent: a retry rewrites the same file
   * atomically (write then rename), so a crash never leaves half a record.
   */
  async recordAudit(state: ContractState): Promise<void> {
    const file = join(deps.auditDir, auditFileName(state.workflowId));
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, JSON.stringify(state, null, 2));
    renameSync(tmp, file);
    return Promise.resolve();
  },
});
