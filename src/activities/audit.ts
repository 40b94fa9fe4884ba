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
   * Returns the record it wrote: as a local activity only its result goes into the history (not
   * its input), and that copy is what `arbiter audit` reads for a cancelled contract.
   */
  async recordAudit(state: ContractState): Promise<ContractState> {
    const file = join(deps.auditDir, auditFileName(state.workflowId));
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, JSON.stringify(state, null, 2));
    renameSync(tmp, file);
    return Promise.resolve(state);
  },
});
