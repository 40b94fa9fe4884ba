// The Agent registry file (SPEC §2). Trust is measured, never declared: a trust-like field is
// bad input with a message that says why, not a silently ignored key.
import { z } from 'zod';
import { DataClass, Duration, Slug } from './contract.js';
import { checkToolBounds, toolEndpointFields } from './tools.js';

export const BUILTIN_AGENTS = [
  'report',
  'checklist',
  'reviewer',
  'picky-reviewer',
  'stern-reviewer',
  'flaky',
  'failing',
  'invalid-output',
] as const;

const FORGED_FIELDS = ['trust', 'trustScore', 'score', 'successRate', 'reputation', 'rating'] as const;
const forged = Object.fromEntries(
  FORGED_FIELDS.map((f) => [
    f,
    z
      .never({
        error: `"${f}" cannot be declared: trust is measured from real outcomes; remove this field`,
      })
      .optional(),
  ]),
);

const SECRET_FIELDS = ['token', 'value', 'secret', 'password', 'apiKey', 'key'] as const;
const noSecrets = Object.fromEntries(
  SECRET_FIELDS.map((f) => [
    f,
    z
      .never({
        error: `"${f}" cannot be written in the agents file: put the secret in an environment variable and name that variable in auth.env`,
      })
      .optional(),
  ]),
);

/**
 * An A2A (Agent2Agent) agent: Arbiter reads its Agent Card at `card` and calls the JSON-RPC
 * interface the card offers. The card is data, never trust: capabilities and clearance are the
 * operator's, declared here. `auth` names a header and the environment variable holding its
 * value (read at call time; a secret is never written in this file).
 */
export const A2aEndpoint = z
  .object({
    kind: z.literal('a2a'),
    card: z.url({
      protocol: /^https?$/,
      error:
        'card must be the http(s) URL of the Agent Card, e.g. https://agent.example.com/.well-known/agent-card.json',
    }),
    skill: z
      .string()
      .min(1, { error: 'skill must be the id of one of the skills the Agent Card lists' })
      .optional(),
    auth: z
      .object({
        header: z
          .string()
          .regex(/^[A-Za-z0-9-]+$/, { error: 'auth.header must be an HTTP header name, e.g. Authorization' }),
        env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
          error: 'auth.env must be the name of an environment variable, e.g. MY_AGENT_TOKEN',
        }),
        ...noSecrets,
      })
      .strict()
      .optional(),
  })
  .strict();
export type A2aEndpoint = z.infer<typeof A2aEndpoint>;

export const Endpoint = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('openai'),
      model: z.string().min(1),
      baseUrl: z.url().optional(),
      systemPrompt: z.string().min(1),
      ...toolEndpointFields,
    })
    .strict()
    .superRefine(checkToolBounds),
  z.object({ kind: z.literal('http'), url: z.url() }).strict(),
  z.object({ kind: z.literal('builtin'), name: z.enum(BUILTIN_AGENTS) }).strict(),
  A2aEndpoint,
]);
export type Endpoint = z.infer<typeof Endpoint>;

export const Pricing = z
  .object({
    perCallUsd: z.number().nonnegative().default(0),
    inputPer1kTokensUsd: z.number().nonnegative().default(0),
    outputPer1kTokensUsd: z.number().nonnegative().default(0),
  })
  .strict();

/**
 * How much of an agent Arbiter may use at once. An agent with limits gets its own task queue, so
 * a burst of contracts waits there (visible as backlog) instead of overwhelming the agent.
 */
export const Limits = z
  .object({
    /** Calls in flight at once, per worker process (each `arbiter worker` runs one slot pool). */
    maxConcurrent: z
      .number({ error: 'maxConcurrent must be a whole number of calls, at least 1' })
      .int({ error: 'maxConcurrent must be a whole number of calls, at least 1' })
      .min(1, { error: 'maxConcurrent must be at least 1 (use 1 to call the agent one at a time)' })
      .optional(),
    /** Calls started per second across every worker (enforced by the Temporal server). */
    perSecond: z
      .number({ error: 'perSecond must be a number of calls per second, greater than 0 (e.g. 0.5 or 20)' })
      .positive({ error: 'perSecond must be greater than 0 (e.g. 0.5 for one call every two seconds)' })
      .optional(),
  })
  .strict()
  .refine((l) => l.maxConcurrent !== undefined || l.perSecond !== undefined, {
    error: 'limits needs maxConcurrent, perSecond or both; remove "limits" for no limit',
  });
export type Limits = z.infer<typeof Limits>;

export const Agent = z
  .object({
    id: Slug,
    description: z.string().min(1),
    capabilities: z
      .object({
        domains: z.array(z.string().min(1)).min(1),
        roles: z.array(z.string().min(1)).default([]),
      })
      .strict(),
    endpoint: Endpoint,
    pricing: Pricing.default({ perCallUsd: 0, inputPer1kTokensUsd: 0, outputPer1kTokensUsd: 0 }),
    timeout: Duration.default('30s'),
    clearance: DataClass.default('internal'),
    region: z.string().min(1).optional(),
    limits: Limits.optional(),
    ...forged,
  })
  .strict();
export type Agent = z.infer<typeof Agent>;

export const AgentsFile = z
  .object({ agents: z.array(Agent).min(1) })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.agents.forEach((a, i) => {
      if (seen.has(a.id)) {
        ctx.addIssue({ code: 'custom', path: ['agents', i, 'id'], message: `duplicate agent id "${a.id}"` });
      }
      seen.add(a.id);
    });
  });
export type AgentsFile = z.infer<typeof AgentsFile>;

/**
 * The task queue of an agent with limits. It is scoped by the deployment's main task queue, so two
 * deployments (or test runs) sharing a namespace never serve each other's agents with their own
 * agents.yaml and limits.
 */
export const agentQueue = (taskQueue: string, agentId: string): string => `${taskQueue}/agent-${agentId}`;

/**
 * Where an agent's calls run: its own queue, in the workflow's worker, or (`{}`) the main queue;
 * and how: `tools` means the agent works in a tool loop (src/workflows/contract/toolLoop.ts), each
 * model turn and tool call its own step, instead of one call.
 */
export const Placement = z.object({
  queue: z.string().optional(),
  inProcess: z.boolean().optional(),
  tools: z.boolean().optional(),
});
export type Placement = z.infer<typeof Placement>;

export function placementOf(agent: Agent, taskQueue: string): Placement {
  // Decided here, from the agents file, so the choice is in the recorded selection and a replay
  // takes the same path whatever the agents file says by then.
  const tools = agent.endpoint.kind === 'openai' && agent.endpoint.tools !== undefined;
  if (agent.limits) return { queue: agentQueue(taskQueue, agent.id), ...(tools ? { tools } : {}) };
  if (tools) return { tools };
  // Builtins are instant in-process functions: a local activity skips the task queue round trip
  // that the benchmark measured as the main latency cost, and nothing remote needs a heartbeat.
  if (agent.endpoint.kind === 'builtin') return { inProcess: true };
  return {};
}
