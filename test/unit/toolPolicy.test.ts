// Cedar on tool calls (action callTool, policies/tools.cedar), with real cedar-wasm: each default
// policy, deny by default, and the loader's checks of tool policies.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicySet, PolicyEngine, type ToolCallPolicyInput } from '../../src/governance/policy.js';
import { Agent } from '../../src/shared/agent.js';
import { Contract } from '../../src/shared/contract.js';
import { hintsOf, type ToolClaims } from '../../src/shared/tools.js';
import { arbiterFailure } from '../support/failure.js';
import { policiesWith, repoFile } from '../support/temporal.js';

const engine = new PolicyEngine(loadPolicySet(repoFile('policies')));
const agent = Agent.parse({
  id: 'tooler',
  description: 'd',
  capabilities: { domains: ['data'] },
  endpoint: {
    kind: 'openai',
    model: 'm',
    systemPrompt: 's',
    tools: [{ id: 'files', url: 'http://127.0.0.1:1/mcp' }],
  },
  clearance: 'pii',
});
const PROVEN = { trust: 0.9, probation: false };

const TOOLS: Record<string, ToolClaims> = {
  read_file: { readOnlyHint: true, openWorldHint: false },
  write_file: { destructiveHint: true, openWorldHint: false },
  fetch_url: { readOnlyHint: true, openWorldHint: true },
  append_log: { destructiveHint: false, openWorldHint: false },
  unannotated: {},
};

function ask(
  tool: keyof typeof TOOLS,
  extra: Partial<ToolCallPolicyInput> & { dataClass?: string; budgetUsd?: number } = {},
) {
  const { dataClass = 'internal', budgetUsd, ...rest } = extra;
  return engine.decideToolCall({
    agent,
    standing: PROVEN,
    tool: {
      server: 'files',
      name: tool,
      hints: hintsOf(TOOLS[tool]!),
      operatorAnnotated: false,
      costPerCallUsd: 0,
    },
    contract: Contract.parse({
      id: 'c',
      title: 't',
      objective: 'o',
      constraints: { dataClass, ...(budgetUsd !== undefined ? { budgetUsd } : {}) },
    }),
    classification: { domain: 'data', confidence: 0.9, reasoning: [], method: 'rules' },
    turn: 1,
    toolCalls: 0,
    spentUsd: 0,
    ...rest,
  });
}

describe('tool-call decisions with the default policies', () => {
  it('allows a read-only tool and names the policy and version', () => {
    const d = ask('read_file');
    expect(d).toMatchObject({ tool: 'files/read_file', route: 'ALLOW', policyIds: ['tool-declared'] });
    expect(d.policyVersion).toBe(engine.version);
    expect(d.explanation[0]).toMatch(/^tool-declared: /);
  });

  it('sends a destructive tool to a person, and allows it once a person approved', () => {
    const held = ask('write_file');
    expect(held).toMatchObject({ route: 'HUMAN_REVIEW', policyIds: ['tool-destructive-review'] });
    expect(held.reviewWithinMs).toBe(24 * 3_600_000);
    expect(ask('write_file', { reviewed: true })).toMatchObject({
      route: 'ALLOW',
      policyIds: ['tool-declared'],
    });
  });

  it('treats a tool that claims nothing as destructive and open-world (the MCP defaults)', () => {
    expect(ask('unannotated')).toMatchObject({ route: 'HUMAN_REVIEW' });
    expect(ask('unannotated', { dataClass: 'confidential' })).toMatchObject({
      route: 'DENY',
      policyIds: ['tool-open-world-sensitive'],
    });
    // A write that claims it destroys nothing needs no person.
    expect(ask('append_log')).toMatchObject({ route: 'ALLOW' });
  });

  it('never gives an open-world tool a confidential or PII contract, even after review', () => {
    expect(ask('fetch_url', { dataClass: 'internal' }).route).toBe('ALLOW');
    for (const dataClass of ['confidential', 'pii']) {
      const d = ask('fetch_url', { dataClass, reviewed: true });
      expect(d).toMatchObject({ route: 'DENY', policyIds: ['tool-open-world-sensitive'] });
      expect(d.explanation[0]).toContain('never receive confidential or PII');
    }
  });

  it('gives an agent on probation read-only tools only, and review cannot lift that', () => {
    const fresh = { trust: 0, probation: true };
    expect(ask('read_file', { standing: fresh }).route).toBe('ALLOW');
    for (const tool of ['write_file', 'append_log'] as const) {
      const d = ask(tool, { standing: fresh });
      expect(d).toMatchObject({ route: 'DENY', policyIds: ['tool-probation-read-only'] });
    }
    // An agent whose standing is unknown is judged as on probation.
    expect(ask('write_file', { standing: undefined })).toMatchObject({
      route: 'DENY',
      policyIds: ['tool-probation-read-only'],
    });
  });

  it('refuses a call whose declared cost would take the contract past its budget', () => {
    const priced = (spentUsd: number) =>
      engine.decideToolCall({
        agent,
        standing: PROVEN,
        tool: {
          server: 'files',
          name: 'read_file',
          hints: hintsOf(TOOLS.read_file!),
          operatorAnnotated: false,
          costPerCallUsd: 0.25,
        },
        contract: Contract.parse({ id: 'c', title: 't', objective: 'o', constraints: { budgetUsd: 1 } }),
        classification: { domain: 'data', confidence: 0.9, reasoning: [], method: 'rules' },
        turn: 3,
        toolCalls: 2,
        spentUsd,
      });
    expect(priced(0.75).route).toBe('ALLOW');
    expect(priced(0.8)).toMatchObject({ route: 'DENY', policyIds: ['tool-over-budget'] });
  });

  it('denies every call when the policy set has no tool policies', () => {
    const dir = policiesWith((_f, t) => t);
    rmSync(join(dir, 'tools.cedar'));
    const bare = new PolicyEngine(loadPolicySet(dir));
    const d = bare.decideToolCall({
      agent,
      standing: PROVEN,
      tool: {
        server: 'files',
        name: 'read_file',
        hints: hintsOf(TOOLS.read_file!),
        operatorAnnotated: false,
        costPerCallUsd: 0,
      },
      contract: Contract.parse({ id: 'c', title: 't', objective: 'o' }),
      classification: { domain: 'data', confidence: 0.9, reasoning: [], method: 'rules' },
      turn: 1,
      toolCalls: 0,
      spentUsd: 0,
    });
    expect(d).toMatchObject({ route: 'DENY', policyIds: [] });
    expect(d.explanation[0]).toContain('no tool policies');
  });

  it('denies by default when tool policies exist but none permits the call', () => {
    const dir = policiesWith((_f, t) => t);
    writeFileSync(
      join(dir, 'tools.cedar'),
      '@id("reads-only")\n@route("ALLOW")\n@explanation("Only reads.")\n' +
        'permit (principal, action == Arbiter::Action::"callTool", resource) when { resource.readOnly };\n',
    );
    const narrow = new PolicyEngine(loadPolicySet(dir));
    const base = {
      agent,
      standing: PROVEN,
      contract: Contract.parse({ id: 'c', title: 't', objective: 'o' }),
      classification: { domain: 'data', confidence: 0.9, reasoning: [], method: 'rules' as const },
      turn: 1,
      toolCalls: 0,
      spentUsd: 0,
    };
    const tool = (name: keyof typeof TOOLS) => ({
      server: 'files',
      name,
      hints: hintsOf(TOOLS[name]!),
      operatorAnnotated: false,
      costPerCallUsd: 0,
    });
    expect(narrow.decideToolCall({ ...base, tool: tool('read_file') }).route).toBe('ALLOW');
    const d = narrow.decideToolCall({ ...base, tool: tool('append_log') });
    expect(d).toMatchObject({ route: 'DENY', policyIds: [] });
    expect(d.explanation).toEqual(['no tool policy permits calling files/append_log (deny by default)']);
  });

  it('lets a policy bound the loop with the turn and call counts in context', () => {
    const dir = policiesWith((_f, t) => t);
    writeFileSync(
      join(dir, 'limits.cedar'),
      '@id("at-most-three-calls")\n@route("DENY")\n@explanation("Three tool calls per contract.")\n' +
        'forbid (principal, action == Arbiter::Action::"callTool", resource) when { context.toolCalls >= 3 };\n',
    );
    const limited = new PolicyEngine(loadPolicySet(dir));
    const at = (toolCalls: number) =>
      limited.decideToolCall({
        agent,
        standing: PROVEN,
        tool: {
          server: 'files',
          name: 'read_file',
          hints: hintsOf(TOOLS.read_file!),
          operatorAnnotated: false,
          costPerCallUsd: 0,
        },
        contract: Contract.parse({ id: 'c', title: 't', objective: 'o' }),
        classification: { domain: 'data', confidence: 0.9, reasoning: [], method: 'rules' },
        turn: 4,
        toolCalls,
        spentUsd: 0,
      });
    expect(at(2).route).toBe('ALLOW');
    expect(at(3)).toMatchObject({ route: 'DENY', policyIds: ['at-most-three-calls'] });
  });
});

describe('loading tool policies', () => {
  const folderWith = (text: string) => {
    const dir = policiesWith((_f, t) => t);
    writeFileSync(join(dir, 'extra.cedar'), text);
    return dir;
  };

  it('refuses a tool policy with a contract route, naming the file, line and the routes it may use', () => {
    const dir = folderWith(
      '\n@id("wrong-route")\n@route("AGENT")\n@explanation("x")\n' +
        'permit (principal, action == Arbiter::Action::"callTool", resource);\n',
    );
    const err = arbiterFailure(() => loadPolicySet(dir));
    expect(err.exitCode).toBe(2);
    expect(err.toUserText()).toContain(
      `${join(dir, 'extra.cedar')}:2: tool policy "wrong-route" needs @route("ALLOW" | "HUMAN_REVIEW" | "DENY")`,
    );
  });

  it('refuses a policy naming callTool together with a contract action', () => {
    const dir = folderWith(
      '@id("both")\n@route("DENY")\n@explanation("x")\n' +
        'forbid (principal, action in [Arbiter::Action::"callTool", Arbiter::Action::"execute"], resource);\n',
    );
    expect(arbiterFailure(() => loadPolicySet(dir)).toUserText()).toContain(
      'names callTool together with other actions',
    );
  });

  it('refuses a tool policy that reads an attribute the schema does not have', () => {
    const dir = folderWith(
      '@id("typo")\n@route("DENY")\n@explanation("x")\n' +
        'forbid (principal, action == Arbiter::Action::"callTool", resource) when { resource.readonly };\n',
    );
    expect(arbiterFailure(() => loadPolicySet(dir)).toUserText()).toContain('extra.cedar');
  });

  it('ships the four defaults and the budget rule, each with an id, a route and an explanation', () => {
    const tools = [...engine.set.meta.values()].filter((m) => m.appliesTo === 'tool');
    expect(tools.map((m) => [m.id, m.route])).toEqual([
      ['tool-declared', 'ALLOW'],
      ['tool-destructive-review', 'HUMAN_REVIEW'],
      ['tool-open-world-sensitive', 'DENY'],
      ['tool-probation-read-only', 'DENY'],
      ['tool-over-budget', 'DENY'],
    ]);
    expect(tools.every((m) => m.explanation.length > 20)).toBe(true);
  });
});
