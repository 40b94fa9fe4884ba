// Loaders: good files load; each kind of bad file is a BAD_INPUT (exit 2) naming file and field.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAgents, loadContract, loadPlan, loadSubmission } from '../../src/config/files.js';
import { arbiterFailure } from '../support/failure.js';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const repo = (name: string) => new URL(`../../${name}`, import.meta.url).pathname;

function write(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'arbiter-load-')), name);
  writeFileSync(file, text);
  return file;
}

describe('loaders', () => {
  it('load the shipped examples and agents file with defaults applied', () => {
    const c = loadContract(repo('examples/contracts/analytics-dashboard.yaml'));
    expect(c.id).toBe('analytics-dashboard');
    expect(c.dependsOn).toEqual([]);
    const q = loadContract(repo('examples/contracts/quarterly-forecast.yaml'));
    expect(q.constraints.dataClass).toBe('internal');
    const agents = loadAgents(repo('agents.yaml')).agents;
    expect(agents.map((a) => a.id)).toContain('analyst');
    expect(agents.find((a) => a.id === 'analyst')?.pricing.perCallUsd).toBe(0);
  });

  it('loads JSON as well as YAML', () => {
    const file = write('c.json', JSON.stringify({ id: 'j', title: 'T', objective: 'O' }));
    expect(loadContract(file)).toMatchObject({ id: 'j', constraints: { dataClass: 'internal' } });
  });

  it('names the file, each field path and the problem for wrong types', () => {
    const file = fixture('bad-types.yaml');
    const err = arbiterFailure(() => loadContract(file));
    expect(err.code).toBe('BAD_INPUT');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(file);
    const text = err.toUserText();
    expect(text).toMatch(/acceptanceCriteria: .*array/);
    expect(text).toMatch(/constraints\.dataClass: .*"public"/);
    expect(text).toMatch(/constraints\.budgetUsd: /);
  });

  it('reports a missing required field by name', () => {
    const err = arbiterFailure(() => loadContract(write('c.yaml', 'id: x\ntitle: T\n')));
    expect(err.toUserText()).toMatch(/objective: /);
  });

  it('reports unknown fields instead of ignoring them', () => {
    const err = arbiterFailure(() =>
      loadContract(write('c.yaml', 'id: x\ntitle: T\nobjective: O\npriorty: high\n')),
    );
    expect(err.toUserText()).toContain('priorty');
  });

  it('reports YAML syntax errors with the line', () => {
    const err = arbiterFailure(() =>
      loadContract(write('c.yaml', 'id: x\ntitle: [unclosed\nobjective: O\n')),
    );
    expect(err.message).toMatch(/not valid YAML at line \d/);
  });

  it('reports a missing file', () => {
    expect(arbiterFailure(() => loadContract('/nonexistent/c.yaml')).message).toContain('no such file');
  });

  it('catches a dependency cycle with the ids along it', () => {
    const err = arbiterFailure(() => loadPlan(fixture('cycle-plan.yaml')));
    expect(err.toUserText()).toMatch(/dependency cycle: (a|b|c) -> .* -> (a|b|c)/);
  });

  it('catches dangling dependsOn and duplicate ids', () => {
    const plan = `id: p\ntitle: P\ncontracts:\n  - { id: a, title: A, objective: x, dependsOn: [zzz] }\n  - { id: a, title: A2, objective: y }\n`;
    const text = arbiterFailure(() => loadPlan(write('p.yaml', plan))).toUserText();
    expect(text).toContain('contracts[0].dependsOn: "a" depends on "zzz"');
    expect(text).toContain('contracts[1].id: duplicate contract id "a"');
  });

  it('refuses a forged trust field in an agents file, saying trust is measured', () => {
    const text = arbiterFailure(() => loadAgents(fixture('forged-agents.yaml'))).toUserText();
    expect(text).toContain('agents[0].trust');
    expect(text).toContain('trust is measured');
  });

  it('refuses an unknown builtin agent and an invalid endpoint kind', () => {
    const yaml = (endpoint: string) =>
      `agents:\n  - id: a\n    description: d\n    capabilities: { domains: [data] }\n    endpoint: ${endpoint}\n`;
    expect(
      arbiterFailure(() => loadAgents(write('a.yaml', yaml('{ kind: builtin, name: nope }')))).toUserText(),
    ).toContain('agents[0].endpoint.name');
    expect(
      arbiterFailure(() => loadAgents(write('a.yaml', yaml('{ kind: carrier-pigeon }')))).toUserText(),
    ).toContain('agents[0].endpoint.kind');
  });

  it('tells a contract from a plan and refuses documents that are neither', () => {
    expect(loadSubmission(repo('examples/contracts/analytics-dashboard.yaml')).kind).toBe('contract');
    const plan = write('p.yaml', 'id: p\ntitle: P\ncontracts:\n  - { id: a, title: A, objective: x }\n');
    expect(loadSubmission(plan).kind).toBe('plan');
    expect(arbiterFailure(() => loadSubmission(repo('agents.yaml'))).message).toContain(
      'cannot be submitted',
    );
    expect(arbiterFailure(() => loadSubmission(write('x.yaml', 'just some text\n'))).message).toContain(
      'not a contract, plan or agents file',
    );
  });
});
