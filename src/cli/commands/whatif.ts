// `arbiter policy what-if DIR [--last N] [--json]`: the last N closed contracts re-decided under
// the policy set in DIR, listing the routes that would change. Nothing is started or changed.
import type { Command } from 'commander';
import { whatIf, whatIfLines, type WhatIfReport } from '../../audit/whatif.js';
import { loadConfig } from '../../config/settings.js';
import { loadPolicySet } from '../../governance/policy.js';
import { badInput } from '../../shared/errors.js';
import { loadAgents } from '../../config/files.js';
import { withClient } from '../context.js';
import { printJson } from '../output.js';

export interface WhatIfOptions {
  last?: string;
  json?: boolean;
}

export const DEFAULT_LAST = 50;

function parseLast(text: string | undefined): number {
  if (text === undefined) return DEFAULT_LAST;
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isInteger(n) || n < 1) {
    throw badInput(`--last: "${text}" is not a whole number of contracts (1 or more)`);
  }
  return n;
}

/** Loads and validates everything before connecting: a bad folder is exit 2 naming file:line. */
export async function policyWhatIf(dir: string, opts: WhatIfOptions = {}): Promise<WhatIfReport> {
  const last = parseLast(opts.last);
  const set = loadPolicySet(dir);
  const agents = loadAgents(loadConfig().agentsFile).agents;
  return withClient((arbiter) =>
    whatIf(arbiter.client, arbiter.config.taskQueue, arbiter.workflowBundle, set, agents, last),
  );
}

/** Adds `what-if` to the `policy` command group. */
export function registerWhatIf(policyCommand: Command): void {
  policyCommand
    .command('what-if <dir>')
    .description(
      'replay recorded decisions under the policy set in DIR and list the routes that would change',
    )
    .option('--last <n>', `how many of the most recently closed contracts (default ${DEFAULT_LAST})`)
    .option('--json', 'print one JSON document')
    .action(async (dir: string, opts: WhatIfOptions) => {
      const report = await policyWhatIf(dir, opts);
      if (opts.json) return printJson(report);
      process.stdout.write(`${whatIfLines(report).join('\n')}\n`);
    });
}
