// Loaders for JSON and YAML inputs. Every failure becomes an ArbiterError naming the file, the
// field path and the fix; never a stack trace, never a partially loaded value.
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { AgentsFile } from '../shared/agent.js';
import { Contract, Plan } from '../shared/contract.js';
import { AreasFile, areasToPlan } from '../shared/areas.js';
import { badInput } from '../shared/errors.js';
import { problemsOf } from '../shared/problems.js';
import { HOSTS_ENV, hostAllowed } from './hosts.js';

/** Parses text as JSON or YAML (by extension; YAML is a superset, so it is the fallback). */
export function parseDocument(file: string, text: string): unknown {
  if (extname(file).toLowerCase() === '.json') {
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw badInput(`${file}: not valid JSON: ${(err as Error).message}`);
    }
  }
  try {
    return parseYaml(text, { prettyErrors: true, uniqueKeys: true, logLevel: 'error' }) as unknown;
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}` : '';
    throw badInput(`${file}: not valid YAML${where}: ${(err as Error).message.split('\n')[0]}`);
  }
}

export function readDocument(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw badInput(
      code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${code ?? String(err)})`,
    );
  }
  return parseDocument(file, text);
}

/** Validates a value; on failure the error lists each problem as `file: path: message`. */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  file: string,
  what: string,
): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = problemsOf(result.error);
  throw badInput(
    `${file}: invalid ${what} (${details.length} problem${details.length > 1 ? 's' : ''})`,
    details,
  );
}

export const loadContract = (file: string): Contract =>
  validate(Contract, readDocument(file), file, 'contract');
export const loadPlan = (file: string): Plan => validate(Plan, readDocument(file), file, 'plan');
/**
 * An agents file, validated; MCP tool servers reached over HTTP must also be under the host
 * allowlist of this environment, so a worker refuses a host at start rather than at the first call.
 */
export function loadAgents(file: string, env: NodeJS.ProcessEnv = process.env): AgentsFile {
  const agents = validate(AgentsFile, readDocument(file), file, 'agents file');
  const details: string[] = [];
  agents.agents.forEach((agent, i) => {
    if (agent.endpoint.kind !== 'openai') return;
    agent.endpoint.tools?.forEach((server, j) => {
      if (server.url !== undefined && !hostAllowed(new URL(server.url), env[HOSTS_ENV])) {
        details.push(
          `agents[${i}].endpoint.tools[${j}].url: ${new URL(server.url).host} is not in ${HOSTS_ENV}; add it there to allow calls to it`,
        );
      }
    });
  });
  if (details.length > 0) {
    throw badInput(
      `${file}: invalid agents file (${details.length} problem${details.length > 1 ? 's' : ''})`,
      details,
    );
  }
  return agents;
}

export type Submission = { kind: 'contract'; contract: Contract } | { kind: 'plan'; plan: Plan };

export type DocumentKind = 'contract' | 'plan' | 'agents' | 'areas' | 'reviewers';

/** Tells what a document is by its shape, so `check` and `submit` accept any of them. */
export function detectKind(value: unknown, file: string): DocumentKind {
  if (Array.isArray(value)) return 'areas';
  if (value && typeof value === 'object') {
    if ('areas' in value) return 'areas';
    if ('agents' in value) return 'agents';
    if ('groups' in value || 'escalation' in value) return 'reviewers';
    if ('contracts' in value) return 'plan';
    if ('objective' in value || 'title' in value) return 'contract';
  }
  throw badInput(`${file}: not a contract, plan or agents file`, [
    'a contract has id, title and objective; a plan has contracts[]; an agents file has agents[]; ' +
      'a reviewers file has groups and escalation',
  ]);
}

export function loadSubmission(file: string): Submission {
  const doc = readDocument(file);
  const kind = detectKind(doc, file);
  if (kind === 'plan') return { kind, plan: validate(Plan, doc, file, 'plan') };
  if (kind === 'areas') return { kind: 'plan', plan: loadAreasPlan(file, doc) };
  if (kind === 'contract') return { kind, contract: validate(Contract, doc, file, 'contract') };
  if (kind === 'reviewers') {
    throw badInput(`${file}: a reviewers file cannot be submitted; point ARBITER_REVIEWERS at it instead`);
  }
  throw badInput(`${file}: an agents file cannot be submitted; point ARBITER_AGENTS at it instead`);
}

/** An areas file (a list, or {id?, title?, areas}) as a plan; the plan id defaults to the file name. */
export function loadAreasPlan(file: string, doc: unknown = readDocument(file)): Plan {
  const areas = validate(AreasFile, Array.isArray(doc) ? { areas: doc } : doc, file, 'areas file');
  const name = basename(file).replace(/\.(ya?ml|json)$/i, '');
  return validate(Plan, areasToPlan(areas, name), file, 'plan made from areas');
}
