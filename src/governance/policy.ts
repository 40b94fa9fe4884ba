// The Cedar policy authority. Policies are read, validated in strict mode against the schema and
// pre-parsed once per policy version; each evaluation is then an in-process call (microseconds).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { DATA_CLASSES, type Contract, type DataClass } from '../shared/contract.js';
import type { Agent } from '../shared/agent.js';
import { ROUTES, type Classification, type PolicyResult, type Route } from '../shared/decision.js';
import { parseDuration } from '../shared/duration.js';
import { ArbiterError } from '../shared/errors.js';
import { PLAN_ROUTES, type PlanRoute, type PlanRouting } from '../shared/plan.js';
import { TOOL_ROUTES, type ToolHints, type ToolRoute } from '../shared/tools.js';
import type { ToolDecision } from '../shared/toolSteps.js';

export const SCHEMA_FILE = 'schema.cedarschema';
const ACTION = { type: 'Arbiter::Action', id: 'execute' };
/** The actions a conditional plan asks about (policies/plans.cedar), in the order it asks. */
const PLAN_ACTIONS = { parallel: 'runInParallel', sequential: 'runInSequence' } as const;
const PLAN_ACTION_IDS: readonly string[] = Object.values(PLAN_ACTIONS);
/** The action a tool-using agent's loop asks about before each tool call (policies/tools.cedar). */
const TOOL_ACTION = { type: 'Arbiter::Action', id: 'callTool' };

export interface PolicyMeta {
  id: string;
  /** A contract policy's route, for a plan-routing policy the mode it implies, for a tool policy its route. */
  route: Route | PlanRoute | ToolRoute;
  /**
   * `plan` for policies that only speak about plan actions (runInParallel, runInSequence), `tool`
   * for those that only speak about callTool; `contract` otherwise.
   */
  appliesTo: 'contract' | 'plan' | 'tool';
  explanation: string;
  file: string;
  reviewWithinMs?: number;
}

export interface PolicySet {
  dir: string;
  version: string;
  schema: string;
  policies: Record<string, string>;
  meta: Map<string, PolicyMeta>;
}

const levelOf = (c: DataClass): number => DATA_CLASSES.indexOf(c);
const decimal = (n: number) => ({ __extn: { fn: 'decimal', arg: n.toFixed(4) } });

/** Cedar's answer to one request: permitted, by which policies, with any evaluation errors. */
function answerOf(answer: cedar.AuthorizationAnswer): {
  permitted: boolean;
  policyIds: string[];
  errors: string[];
} {
  if (answer.type === 'failure') {
    return { permitted: false, policyIds: [], errors: answer.errors.map((e) => e.message) };
  }
  const { decision, diagnostics } = answer.response;
  return {
    permitted: decision === 'allow',
    policyIds: [...diagnostics.reason].sort(),
    errors: diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`),
  };
}

function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

function describe(file: string, text: string, e: cedar.DetailedError): string {
  const loc = e.sourceLocations?.[0];
  const where = loc ? `${file}:${lineOf(text, loc.start)}` : file;
  return `${where}: ${e.message}${e.help ? ` (${e.help})` : ''}`;
}

/** The action ids a policy's action scope names; none for an unscoped `action`. */
function actionIds(action: unknown): string[] {
  const a = action as { op?: string; entity?: { id?: string }; entities?: { id?: string }[] } | undefined;
  if (a?.op === '==') return [a.entity?.id ?? ''];
  if (a?.op === 'in' && a.entities) return a.entities.map((e) => e.id ?? '');
  return [];
}

/**
 * What a policy speaks about, which says which `@route` vocabulary it uses: plan actions only
 * (a plan mode), callTool only (a tool route), anything else (a contract route). A scope mixing
 * callTool with other actions has no single vocabulary and is refused.
 */
function scopeOf(action: unknown): PolicyMeta['appliesTo'] | 'mixed' {
  const ids = actionIds(action);
  if (ids.length === 0) return 'contract';
  if (ids.every((id) => PLAN_ACTION_IDS.includes(id))) return 'plan';
  if (ids.every((id) => id === TOOL_ACTION.id)) return 'tool';
  return ids.includes(TOOL_ACTION.id) ? 'mixed' : 'contract';
}

const ROUTES_OF = { contract: ROUTES, plan: PLAN_ROUTES, tool: TOOL_ROUTES } as const;
const KIND_OF = { contract: 'policy', plan: 'plan-routing policy', tool: 'tool policy' } as const;

function invalid(dir: string, problems: string[]): ArbiterError {
  return new ArbiterError(
    'POLICY_INVALID',
    `policy set ${dir} is invalid (${problems.length} problem${problems.length > 1 ? 's' : ''})`,
    problems,
  );
}

/** Reads and strictly validates a policy folder. Throws POLICY_INVALID naming file and line. */
export function loadPolicySet(dir: string): PolicySet {
  const { schema, files } = readFolder(dir);
  const problems: string[] = [];
  const policies: Record<string, string> = {};
  const meta = new Map<string, PolicyMeta>();
  const hash = createHash('sha256').update(schema);
  for (const name of files) {
    const path = join(dir, name);
    const text = readFileSync(path, 'utf8');
    hash.update(`\0${name}\0${text}`);
    for (const policy of validPolicies(path, text, schema, problems)) {
      const found = policyMeta(policy, path, text, problems);
      if (!found) continue;
      if (meta.has(found.id)) problems.push(`${found.where}: duplicate policy id "${found.id}"`);
      policies[found.id] = policy;
      meta.set(found.id, found.meta);
    }
  }
  if (problems.length > 0) throw invalid(dir, problems);
  const version = hash.digest('hex').slice(0, 16);
  preparse(dir, version, schema, policies);
  return { dir, version, schema, policies, meta };
}

/** The folder's schema (parsed) and its policy files, or POLICY_INVALID saying what is missing. */
function readFolder(dir: string): { schema: string; files: string[] } {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw invalid(dir, [`${dir}: not a folder; it must hold *.cedar files and ${SCHEMA_FILE}`]);
  }
  const schemaPath = join(dir, SCHEMA_FILE);
  if (!existsSync(schemaPath))
    throw invalid(dir, [`${schemaPath}: missing; policies are checked against it`]);
  const schema = readFileSync(schemaPath, 'utf8');
  const schemaCheck = cedar.checkParseSchema(schema);
  if (schemaCheck.type === 'failure') {
    throw invalid(
      dir,
      schemaCheck.errors.map((e) => describe(schemaPath, schema, e)),
    );
  }
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cedar'))
    .sort();
  if (files.length === 0) throw invalid(dir, [`${dir}: no *.cedar files`]);
  return { schema, files };
}

/** A file's policies, validated strictly against the schema; its problems go to `problems`. */
function validPolicies(path: string, text: string, schema: string, problems: string[]): string[] {
  const checked = cedar.validate({
    schema,
    policies: { staticPolicies: text },
    validationSettings: { mode: 'strict' },
  });
  if (checked.type === 'failure') {
    problems.push(...checked.errors.map((e) => describe(path, text, e)));
    return [];
  }
  problems.push(...checked.validationErrors.map((e) => describe(path, text, e.error)));
  const parts = cedar.policySetTextToParts(text);
  if (parts.type === 'failure') {
    problems.push(...parts.errors.map((e) => describe(path, text, e)));
    return [];
  }
  return parts.policies;
}

/** A policy's annotations as Arbiter reads them (id, route, explanation, review window), checked. */
function policyMeta(
  policy: string,
  path: string,
  text: string,
  problems: string[],
): { id: string; where: string; meta: PolicyMeta } | undefined {
  const json = cedar.policyToJson(policy);
  if (json.type === 'failure') return undefined;
  const a = json.json.annotations ?? {};
  const where = `${path}:${lineOf(text, text.indexOf(policy.split('\n')[0] ?? policy))}`;
  if (!a.id) {
    problems.push(`${where}: policy has no @id("...") annotation; every policy needs a stable id`);
    return undefined;
  }
  const scope = scopeOf(json.json.action);
  if (scope === 'mixed') {
    problems.push(
      `${where}: policy "${a.id}" names callTool together with other actions; write tool policies separately (their routes are ALLOW, HUMAN_REVIEW, DENY)`,
    );
  }
  const appliesTo = scope === 'mixed' ? 'tool' : scope;
  const allowed: readonly string[] = ROUTES_OF[appliesTo];
  const route = a.route as PolicyMeta['route'] | undefined;
  if (scope !== 'mixed' && (!route || !allowed.includes(route))) {
    problems.push(
      `${where}: ${KIND_OF[appliesTo]} "${a.id}" needs @route(${allowed.map((r) => `"${r}"`).join(' | ')})`,
    );
  }
  if (!a.explanation) problems.push(`${where}: policy "${a.id}" needs an @explanation("...")`);
  const reviewWithinMs = a.reviewWithin ? parseDuration(a.reviewWithin) : undefined;
  if (a.reviewWithin && reviewWithinMs === undefined) {
    problems.push(`${where}: policy "${a.id}" has @reviewWithin("${a.reviewWithin}"), not a duration`);
  }
  return {
    id: a.id,
    where,
    meta: {
      id: a.id,
      route: route ?? (appliesTo === 'tool' ? 'DENY' : 'REJECT'),
      appliesTo,
      explanation: a.explanation ?? '',
      file: path,
      ...(reviewWithinMs !== undefined ? { reviewWithinMs } : {}),
    },
  };
}

/** Registers the set and its schema with Cedar under `version`, for the evaluations to name. */
function preparse(dir: string, version: string, schema: string, policies: Record<string, string>): void {
  const parsed = cedar.preparsePolicySet(version, { staticPolicies: policies });
  if (parsed.type === 'failure')
    throw invalid(
      dir,
      parsed.errors.map((e) => e.message),
    );
  const schemaParsed = cedar.preparseSchema(version, schema);
  if (schemaParsed.type === 'failure')
    throw invalid(
      dir,
      schemaParsed.errors.map((e) => e.message),
    );
}

export interface PolicyInput {
  contract: Pick<Contract, 'id' | 'constraints' | 'review'>;
  classification: Classification;
  agents: readonly Agent[];
  reviewed?: boolean;
  /** The pipeline stage's role, when deciding a stage. */
  role?: string;
  /** Measured trust per agent id; an agent missing here counts as fresh (probation, no trust). */
  trust?: ReadonlyMap<string, MeasuredTrust>;
}

export interface PlanRoutingInput {
  plan: { id: string; size: number; maxParallel: number };
  contract: Pick<Contract, 'id' | 'constraints' | 'review'>;
  classification: Classification;
  dependsOnCount: number;
  /** How many contracts of the plan depend on this one directly. */
  dependentsCount: number;
  hasPipeline: boolean;
}

/** The contract as Cedar sees it (`Arbiter::Contract` in schema.cedarschema). */
function contractEntity(
  contract: Pick<Contract, 'id' | 'constraints' | 'review'>,
  classification: Classification,
  role?: string,
) {
  const c = contract.constraints;
  return {
    uid: { type: 'Arbiter::Contract', id: contract.id },
    attrs: {
      domain: classification.domain,
      confidence: decimal(classification.confidence),
      classifiedBy: classification.method,
      dataClass: levelOf(c.dataClass),
      region: c.region ?? '',
      hasBudget: c.budgetUsd !== undefined,
      budgetUsd: decimal(c.budgetUsd ?? 0),
      reviewRequested: contract.review === 'always',
      role: role ?? '',
    },
    parents: [],
  };
}

export interface MeasuredTrust {
  trust: number;
  probation: boolean;
}

/** Unknown means deny: an agent with no measurements is on probation with zero trust. */
const UNMEASURED: MeasuredTrust = { trust: 0, probation: true };

/** The agent as Cedar sees it (`Arbiter::Agent`), with its measured trust. */
function agentEntity(agent: Agent, measured: MeasuredTrust) {
  return {
    uid: { type: 'Arbiter::Agent', id: agent.id },
    attrs: {
      domains: agent.capabilities.domains,
      roles: agent.capabilities.roles,
      clearance: levelOf(agent.clearance),
      region: agent.region ?? '',
      estimatedCostUsd: decimal(estimatedCostUsd(agent)),
      trust: decimal(measured.trust),
      probation: measured.probation,
    },
    parents: [],
  };
}

/** One tool call a loop asks about (see decideToolCall). */
export interface ToolCallPolicyInput {
  agent: Agent;
  /** The agent's measured standing; absent means unmeasured (probation, no trust). */
  standing?: MeasuredTrust;
  tool: {
    server: string;
    name: string;
    hints: ToolHints;
    operatorAnnotated: boolean;
    costPerCallUsd: number;
  };
  contract: Pick<Contract, 'id' | 'constraints' | 'review'>;
  classification: Classification;
  role?: string;
  /** The turn the model asked for the call in (1-based). */
  turn: number;
  /** Tool calls the loop already made. */
  toolCalls: number;
  /** Dollars the contract already spent (model turns and tool calls). */
  spentUsd: number;
  /** True once a person approved this call. */
  reviewed?: boolean;
}

/** Rough per-call cost used by the budget policy until measured costs exist. */
export function estimatedCostUsd(agent: Agent): number {
  const p = agent.pricing;
  return p.perCallUsd + p.inputPer1kTokensUsd + p.outputPer1kTokensUsd;
}

export class PolicyEngine {
  constructor(readonly set: PolicySet) {}

  get version(): string {
    return this.set.version;
  }

  private verdict(input: PolicyInput, agent: Agent, reviewed: boolean) {
    const measured = input.trust?.get(agent.id) ?? UNMEASURED;
    const answer = cedar.statefulIsAuthorized({
      principal: { type: 'Arbiter::Agent', id: agent.id },
      action: ACTION,
      resource: { type: 'Arbiter::Contract', id: input.contract.id },
      context: { reviewed },
      preparsedPolicySetId: this.set.version,
      preparsedSchemaName: this.set.version,
      validateRequest: true,
      entities: [
        agentEntity(agent, measured),
        contractEntity(input.contract, input.classification, input.role),
      ],
    });
    if (answer.type === 'failure') {
      // An evaluation error is a policy bug, and unknown means deny.
      return {
        agentId: agent.id,
        permitted: false,
        policyIds: [],
        error: answer.errors.map((e) => e.message),
      };
    }
    const { decision, diagnostics } = answer.response;
    return {
      agentId: agent.id,
      permitted: decision === 'allow',
      policyIds: [...diagnostics.reason].sort(),
      error: diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`),
    };
  }

  /**
   * A conditional plan's routing decision for one contract: parallel when runInParallel is
   * permitted, else sequential when runInSequence is, else human review. Unknown means a person
   * decides: a set without plan policies, or an evaluation error, routes to human review.
   */
  routeInPlan(input: PlanRoutingInput): PlanRouting {
    const base = { policyVersion: this.set.version, domain: input.classification.domain };
    const lines = (ids: string[]) => ids.map((id) => `${id}: ${this.set.meta.get(id)?.explanation ?? ''}`);
    if (![...this.set.meta.values()].some((m) => m.appliesTo === 'plan')) {
      return {
        ...base,
        mode: 'human-review',
        policyIds: [],
        explanation: [
          `the policy set in ${this.set.dir} has no plan-routing policies (runInParallel, runInSequence); a person decides`,
        ],
      };
    }
    const parallel = this.planVerdict(input, PLAN_ACTIONS.parallel);
    if (parallel.permitted) {
      return {
        ...base,
        mode: 'parallel',
        policyIds: parallel.policyIds,
        explanation: lines(parallel.policyIds),
      };
    }
    const sequence = this.planVerdict(input, PLAN_ACTIONS.sequential);
    if (sequence.permitted) {
      // What kept it from the faster mode explains the slower one too.
      const policyIds = [...new Set([...sequence.policyIds, ...parallel.policyIds])];
      return { ...base, mode: 'sequential', policyIds, explanation: lines(policyIds) };
    }
    // For a person: what ruled out the last resort (running in sequence), else what ruled out both.
    const policyIds = sequence.policyIds.length > 0 ? sequence.policyIds : parallel.policyIds;
    const errors = [...new Set([...parallel.errors, ...sequence.errors])];
    const explanation = [
      ...lines(policyIds),
      ...errors.map((e) => `policy error (unknown means a person decides): ${e}`),
    ];
    return {
      ...base,
      mode: 'human-review',
      policyIds,
      explanation:
        explanation.length > 0
          ? explanation
          : ['no plan-routing policy permits running it in parallel or in sequence (a person decides)'],
    };
  }

  private planVerdict(input: PlanRoutingInput, action: string) {
    const answer = cedar.statefulIsAuthorized({
      principal: { type: 'Arbiter::Plan', id: input.plan.id },
      action: { type: 'Arbiter::Action', id: action },
      resource: { type: 'Arbiter::Contract', id: input.contract.id },
      context: {
        dependsOnCount: input.dependsOnCount,
        dependentsCount: input.dependentsCount,
        hasPipeline: input.hasPipeline,
      },
      preparsedPolicySetId: this.set.version,
      preparsedSchemaName: this.set.version,
      validateRequest: true,
      entities: [
        {
          uid: { type: 'Arbiter::Plan', id: input.plan.id },
          attrs: { size: input.plan.size, maxParallel: input.plan.maxParallel },
          parents: [],
        },
        contractEntity(input.contract, input.classification),
      ],
    });
    return answerOf(answer);
  }

  /**
   * May the agent call this tool now? ALLOW when a tool policy permits it; HUMAN_REVIEW when a
   * review policy holds it and an approval (context.reviewed) would permit it; DENY otherwise,
   * with the reasons the model is told. A set without tool policies denies every call, and an
   * evaluation error denies: unknown means deny.
   */
  decideToolCall(input: ToolCallPolicyInput): ToolDecision {
    const tool = `${input.tool.server}/${input.tool.name}`;
    const base = { tool, policyVersion: this.set.version };
    const lines = (ids: string[]) => ids.map((id) => `${id}: ${this.set.meta.get(id)?.explanation ?? ''}`);
    if (![...this.set.meta.values()].some((m) => m.appliesTo === 'tool')) {
      return {
        ...base,
        route: 'DENY',
        policyIds: [],
        explanation: [
          `the policy set in ${this.set.dir} has no tool policies (callTool); no tool call is permitted`,
        ],
      };
    }
    const reviewed = input.reviewed ?? false;
    const first = this.toolVerdict(input, reviewed);
    if (first.permitted)
      return { ...base, route: 'ALLOW', policyIds: first.policyIds, explanation: lines(first.policyIds) };
    const routeOf = (id: string) => this.set.meta.get(id)?.route;
    const review = first.policyIds.filter((id) => routeOf(id) === 'HUMAN_REVIEW');
    if (review.length > 0 && !reviewed && this.toolVerdict(input, true).permitted) {
      const within = review.map((id) => this.set.meta.get(id)?.reviewWithinMs).filter((v) => v !== undefined);
      return {
        ...base,
        route: 'HUMAN_REVIEW',
        policyIds: review,
        explanation: lines(review),
        ...(within.length > 0 ? { reviewWithinMs: Math.min(...within) } : {}),
      };
    }
    // A review cannot lift a denial: when one fired, it alone is the reason.
    const denials = first.policyIds.filter((id) => routeOf(id) === 'DENY');
    const policyIds = denials.length > 0 ? denials : first.policyIds;
    const explanation = [
      ...lines(policyIds),
      ...first.errors.map((e) => `policy error (unknown means deny): ${e}`),
    ];
    return {
      ...base,
      route: 'DENY',
      policyIds,
      explanation:
        explanation.length > 0 ? explanation : [`no tool policy permits calling ${tool} (deny by default)`],
    };
  }

  private toolVerdict(input: ToolCallPolicyInput, reviewed: boolean) {
    const toolUid = { type: 'Arbiter::Tool', id: `${input.tool.server}/${input.tool.name}` };
    const contract = contractEntity(input.contract, input.classification, input.role);
    const answer = cedar.statefulIsAuthorized({
      principal: { type: 'Arbiter::Agent', id: input.agent.id },
      action: TOOL_ACTION,
      resource: toolUid,
      context: {
        contract: { __entity: contract.uid },
        reviewed,
        turn: input.turn,
        toolCalls: input.toolCalls,
        spentUsd: decimal(input.spentUsd),
        spentWithCallUsd: decimal(input.spentUsd + input.tool.costPerCallUsd),
      },
      preparsedPolicySetId: this.set.version,
      preparsedSchemaName: this.set.version,
      validateRequest: true,
      entities: [
        agentEntity(input.agent, input.standing ?? UNMEASURED),
        contract,
        {
          uid: toolUid,
          attrs: {
            server: input.tool.server,
            name: input.tool.name,
            readOnly: input.tool.hints.readOnly,
            destructive: input.tool.hints.destructive,
            openWorld: input.tool.hints.openWorld,
            idempotent: input.tool.hints.idempotent,
            operatorAnnotated: input.tool.operatorAnnotated,
            costPerCallUsd: decimal(input.tool.costPerCallUsd),
          },
          parents: [],
        },
      ],
    });
    return answerOf(answer);
  }

  evaluate(input: PolicyInput): PolicyResult {
    const reviewed = input.reviewed ?? false;
    const verdicts = input.agents.map((a) => this.verdict(input, a, reviewed));
    const permitted = verdicts.filter((v) => v.permitted).map((v) => v.agentId);
    const fired = new Set(verdicts.flatMap((v) => v.policyIds));
    const firedMeta = [...fired].map((id) => this.set.meta.get(id)).filter((m) => m !== undefined);
    const reviewPolicies = firedMeta.filter((m) => m.route === 'HUMAN_REVIEW');
    const candidates = verdicts.map(({ agentId, permitted: ok, policyIds }) => ({
      agentId,
      permitted: ok,
      policyIds,
    }));
    const base = { candidates, policyVersion: this.set.version };
    const lines = (ms: typeof firedMeta) => ms.map((m) => `${m.id}: ${m.explanation}`);

    if (permitted.length > 0) {
      const used = firedMeta.filter((m) => m.route === 'AGENT');
      return {
        ...base,
        route: 'AGENT',
        permitted,
        explanation: lines(used),
        policyIds: used.map((m) => m.id),
      };
    }
    if (reviewPolicies.length > 0 && !reviewed) {
      // Review only helps if someone could do the work once a person approved it.
      const afterReview = this.evaluate({ ...input, reviewed: true });
      if (afterReview.permitted.length > 0) {
        const within = reviewPolicies.map((m) => m.reviewWithinMs).filter((v) => v !== undefined);
        return {
          ...base,
          route: 'HUMAN_REVIEW',
          permitted: [],
          explanation: lines(reviewPolicies),
          policyIds: reviewPolicies.map((m) => m.id),
          ...(within.length > 0 ? { reviewWithinMs: Math.min(...within) } : {}),
        };
      }
    }
    const denials = firedMeta.filter((m) => m.route !== 'AGENT');
    const explanation =
      denials.length > 0
        ? lines(denials)
        : [
            `no policy permits any registered agent for domain "${input.classification.domain}" (deny by default)`,
          ];
    return { ...base, route: 'REJECT', permitted: [], explanation, policyIds: denials.map((m) => m.id) };
  }
}
