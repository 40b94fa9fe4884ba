// `arbiter check FILE|DIR` and `arbiter policy check [DIR]`: validation without starting anything.
// Cedar (a WebAssembly module) is loaded only when the path is a policy folder: checking a
// contract, plan, areas or reviewers file needs the schemas alone (an agents file with A2A agents
// also reads their Agent Cards).
import { existsSync, statSync } from 'node:fs';
import type { AgentsFile } from '../../shared/agent.js';
import { Contract, Plan } from '../../shared/contract.js';
import { ReviewersFile } from '../../shared/reviewers.js';
import { detectKind, loadAgents, loadAreasPlan, readDocument, validate } from '../../config/files.js';
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

/** The agents file's summary, once every A2A agent's card has been read and found usable. */
async function agentsSummary(path: string, file: AgentsFile): Promise<string> {
  const { cardProblems, cardWarnings, checkCards } = await import('../../agents/a2a/checkCards.js');
  const checks = await checkCards(file.agents);
  const problem = cardProblems(path, checks);
  if (problem) throw problem;
  for (const w of cardWarnings(checks)) process.stderr.write(`arbiter: warning: ${w}\n`);
  const read = checks.filter((c) => c.info).map((c) => `${c.agentId}: "${c.info!.name}" ${c.info!.version}`);
  return `${file.agents.length} agents${read.length ? `; A2A cards read: ${read.join(', ')}` : ''}`;
}

/** Groups and channels; a variable a channel names that is unset here is a note, not an error. */
async function reviewersSummary(path: string, doc: unknown): Promise<{ summary: string; notes: string[] }> {
  const file = validate(ReviewersFile, doc, path, 'reviewers file');
  const { missingChannelEnv } = await import('../../notify/channels.js');
  const groups = Object.keys(file.groups).length;
  const channels = Object.keys(file.channels).length;
  return {
    summary: `${groups} groups, ${channels} notification channel${channels === 1 ? '' : 's'}`,
    notes: missingChannelEnv(file, process.env).map(
      (m) => `note: ${m} (a worker refuses to start without it)`,
    ),
  };
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
  const reviewers = kind === 'reviewers' ? await reviewersSummary(path, doc) : undefined;
  const summary = reviewers
    ? reviewers.summary
    : kind === 'agents'
      ? await agentsSummary(path, loadAgents(path))
      : kind === 'areas'
        ? areasSummary(path, doc)
        : kind === 'plan'
          ? `plan "${validate(Plan, doc, path, 'plan').id}"`
          : `contract "${validate(Contract, doc, path, 'contract').id}"`;
  if (opts.json) printJson({ ok: true, kind, file: path, ...(reviewers ? { notes: reviewers.notes } : {}) });
  else {
    process.stdout.write(`ok: ${path} is a valid ${kind} file (${summary})\n`);
    for (const note of reviewers?.notes ?? []) process.stdout.write(`  ${note}\n`);
  }
}

/** `arbiter policy check [DIR] [--json]`: the configured policy folder by default. */
export async function policyCheck(dir: string | undefined, opts: { json?: boolean }): Promise<void> {
  await checkPolicies(dir ?? loadConfig().policiesDir, opts.json);
}
