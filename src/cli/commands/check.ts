// `arbiter check FILE|DIR` and `arbiter policy check [DIR]`: validation without starting anything.
// Cedar (a WebAssembly module) is loaded only when the path is a policy folder: checking a
// contract, plan, areas or agents file needs the schemas alone.
import { existsSync, statSync } from 'node:fs';
import { AgentsFile } from '../../shared/agent.js';
import { Contract, Plan } from '../../shared/contract.js';
import { detectKind, loadAreasPlan, readDocument, validate } from '../../config/files.js';
import { badInput } from '../../shared/errors.js';
import { loadConfig } from '../../config/settings.js';
import { printJson } from '../json.js';

async function checkPolicies(dir: string, json?: boolean): Promise<void> {
  const { loadPolicySet } = await import('../../governance/policy.js');
  const set = loadPolicySet(dir);
  if (json)
    return printJson({
      ok: true,
      kind: 'policies',
      dir,
      version: set.version,
      policies: [...set.meta.keys()],
    });
  process.stdout.write(`ok: ${dir} holds ${set.meta.size} valid policies (version ${set.version})\n`);
  for (const m of set.meta.values())
    process.stdout.write(`  ${m.id.padEnd(26)} ${m.route.padEnd(12)} ${m.explanation}\n`);
}

function areasSummary(path: string, doc: unknown): string {
  const plan = loadAreasPlan(path, doc);
  return `becomes plan "${plan.id}" with ${plan.contracts.length} contracts`;
}

/** `arbiter check PATH [--json]`. */
export async function check(path: string, opts: { json?: boolean }): Promise<void> {
  if (!existsSync(path)) throw badInput(`${path}: no such file or folder`);
  if (statSync(path).isDirectory()) return checkPolicies(path, opts.json);
  const doc = readDocument(path);
  const kind = detectKind(doc, path);
  const summary =
    kind === 'agents'
      ? `${validate(AgentsFile, doc, path, 'agents file').agents.length} agents`
      : kind === 'areas'
        ? areasSummary(path, doc)
        : kind === 'plan'
          ? `plan "${validate(Plan, doc, path, 'plan').id}"`
          : `contract "${validate(Contract, doc, path, 'contract').id}"`;
  if (opts.json) printJson({ ok: true, kind, file: path });
  else process.stdout.write(`ok: ${path} is a valid ${kind} file (${summary})\n`);
}

/** `arbiter policy check [DIR] [--json]`: the configured policy folder by default. */
export async function policyCheck(dir: string | undefined, opts: { json?: boolean }): Promise<void> {
  await checkPolicies(dir ?? loadConfig().policiesDir, opts.json);
}
