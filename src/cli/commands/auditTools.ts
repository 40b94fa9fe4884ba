// `arbiter audit export [--since T] [--out FILE]` and `arbiter audit verify FILE`: a tamper-evident,
// hash-chained JSONL of every closed contract, and its check. Registered as `audit-export` /
// `audit-verify` until `audit` becomes a command group (see the report in src/audit/).
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
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

const exportDescription = 'tamper-evident (hash-chained) JSONL of closed contracts, for compliance';
const verifyDescription = 'check an audit export: exit 0 when intact, 1 at the first altered line';

/** Adds `export` and `verify` under a command (e.g. the `audit` group). */
export function addAuditSubcommands(group: Command): void {
  group
    .command('export')
    .description(exportDescription)
    .option('--since <time>', 'only contracts closed since an ISO time or a duration ago (24h, 7d)')
    .option('--out <file>', 'write to a file instead of stdout')
    .action((opts: AuditExportOptions) => auditExport(opts));
  group
    .command('verify <file>')
    .description(verifyDescription)
    .action((file: string) => auditVerify(file));
}

export function registerAuditTools(program: Command): void {
  program
    .command('audit-export')
    .description(exportDescription)
    .option('--since <time>', 'only contracts closed since an ISO time or a duration ago (24h, 7d)')
    .option('--out <file>', 'write to a file instead of stdout')
    .action((opts: AuditExportOptions) => auditExport(opts));
  program
    .command('audit-verify <file>')
    .description(verifyDescription)
    .action((file: string) => auditVerify(file));
}
