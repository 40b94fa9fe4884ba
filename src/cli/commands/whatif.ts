// `arbiter policy what-if DIR [--last N] [--json]`: the last N closed contracts re-decided under
// the policy set in DIR, listing the routes that would change. Nothing is started or changed.
import { whatIf, whatIfLines, type WhatIfReport } from '../../audit/whatif.js';
import { loadConfig } from '../../config/settings.js';
import { loadPolicySet } from '../../governance/policy.js';
import { badInput } from '../../shared/errors.js';
import { loadAgents } from '../../config/files.js';
import { withClient } from '../context.js';
import { printJson } from '../output.js';
import { WHAT_IF_LAST } from '../defaults.js';

export interface WhatIfOptions {
  last?: string;
  json?: boolean;
}

function parseLast(text: string | undefined): number {
  if (text === undefined) return WHAT_IF_LAST;
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

/** `arbiter policy what-if DIR [--last N] [--json]`. */
export async function printWhatIf(dir: string, opts: WhatIfOptions): Promise<void> {
  const report = await policyWhatIf(dir, opts);
  if (opts.json) return printJson(report);
  process.stdout.write(`${whatIfLines(report).join('\n')}\n`);
}
