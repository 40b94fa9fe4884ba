// `arbiter audit export [--since T] [--out FILE]` and `arbiter audit verify FILE`: a tamper-evident,
// hash-chained JSONL of every closed contract, and its check (also as `audit-export` /
// `audit-verify`; the options are in ../program.ts).
import { writeFileSync } from 'node:fs';
import { exportAudit, verifyFile } from '../../audit/export.js';
import { parseSince } from '../../audit/source.js';
import { ArbiterError } from '../../shared/errors.js';
import { withClient } from '../context.js';

export interface AuditExportOptions {
  since?: string;
  out?: string;
}

/** Writes the export to `out` or stdout; a summary goes to stderr when writing a file. */
export async function auditExport(opts: AuditExportOptions): Promise<void> {
  const since = opts.since !== undefined ? parseSince(opts.since) : undefined;
  await withClient(async (arbiter) => {
    const lines = await exportAudit(
      arbiter.client,
      arbiter.config.taskQueue,
      arbiter.workflowBundle,
      since ? { since } : {},
    );
    if (opts.out) {
      writeFileSync(opts.out, lines.join(''));
      process.stderr.write(
        `wrote ${lines.length} record${lines.length === 1 ? '' : 's'} of task queue ${arbiter.config.taskQueue} to ${opts.out}\n`,
      );
    } else {
      process.stdout.write(lines.join(''));
    }
  });
}

/** Exit 0 with "ok: N records"; a tampered file is a failed check (exit 1); no file is bad input. */
export function auditVerify(file: string): void {
  const r = verifyFile(file);
  if (!r.ok) {
    throw new ArbiterError('CONTRACT_FAILED', `${file}:${r.line}: ${r.problem}`, [
      `the first ${r.records} record${r.records === 1 ? '' : 's'} verify; line ${r.line} and everything after it cannot be trusted`,
    ]);
  }
  process.stdout.write(`ok: ${r.records} record${r.records === 1 ? '' : 's'} (head ${r.head})\n`);
}
