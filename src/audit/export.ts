// `arbiter audit export`: every closed contract of the task queue as one hash-chained JSON line,
// built from Temporal's visibility list and workflow results; `arbiter audit verify` checks a file.
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { badInput } from '../shared/errors.js';
import { chainLines, NotAnExport, verifyChain, type VerifyResult } from './chain.js';
import { listClosedContracts, type BundleSource, type ClosedContract } from './source.js';

/** The record kept per contract: what Temporal recorded, nothing from the exporting machine. */
export function auditRecord(c: ClosedContract): Record<string, unknown> {
  return {
    kind: 'contract',
    workflowId: c.workflowId,
    runId: c.runId,
    executionStatus: c.executionStatus,
    startTime: c.startTime,
    closeTime: c.closeTime,
    source: c.source,
    state: c.state,
  };
}

/** The export's lines for contracts already in export order. */
export function exportLines(contracts: readonly ClosedContract[]): string[] {
  return chainLines(contracts.map(auditRecord));
}

export async function exportAudit(
  client: Client,
  taskQueue: string,
  bundle: BundleSource,
  opts: { since?: string } = {},
): Promise<string[]> {
  return exportLines(await listClosedContracts(client, taskQueue, bundle, opts));
}

/** Verifies an export file; a missing file or one that is not an export at all is BAD_INPUT. */
export function verifyFile(file: string): VerifyResult {
  if (!existsSync(file) || !statSync(file).isFile()) throw badInput(`${file}: no such file`);
  const text = readFileSync(file, 'utf8');
  try {
    return verifyChain(text);
  } catch (err) {
    if (err instanceof NotAnExport) {
      throw badInput(
        `${file}: not an audit export (JSON lines from \`arbiter audit export\`): ${err.message}`,
      );
    }
    throw err;
  }
}
