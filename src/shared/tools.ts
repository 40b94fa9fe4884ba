// The tools an `openai` agent may use (agents.yaml `endpoint.tools`): MCP servers over stdio or
// streamable HTTP, and the bounds of the agent loop that uses them. Secrets never appear here: a
// stdio server's `env` lists the NAMES of variables passed through from the worker's environment.
import { z } from 'zod';
import { Duration, Slug } from './contract.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ENV_HELP =
  'env lists the NAMES of environment variables passed through from the worker (e.g. [GITHUB_TOKEN]); ' +
  "values never go in this file: set them in the worker's environment";

/** What the operator states about a tool, overriding what its server claims (see hintsOf). */
export const ToolHintsOverride = z
  .object({
    readOnly: z.boolean().optional(),
    destructive: z.boolean().optional(),
    openWorld: z.boolean().optional(),
    idempotent: z.boolean().optional(),
  })
  .strict();
export type ToolHintsOverride = z.infer<typeof ToolHintsOverride>;

export const ToolServer = z
  .object({
    id: Slug,
    /** stdio: the program to start, its arguments, and the variables it may see. */
    command: z.string().min(1).optional(),
    args: z.array(z.string()).optional(),
    env: z.array(z.string().regex(ENV_NAME, { error: ENV_HELP }), { error: ENV_HELP }).optional(),
    /** Streamable HTTP: the MCP endpoint, under the host allowlist (ARBITER_AGENT_HOSTS). */
    url: z
      .url({ protocol: /^https?$/, error: 'url must be an http:// or https:// URL of the MCP endpoint' })
      .optional(),
    /** The NAME of a worker environment variable holding a bearer token for the url server. */
    tokenEnv: z
      .string()
      .regex(ENV_NAME, {
        error:
          'tokenEnv is the NAME of a worker environment variable holding the token (e.g. MCP_TOKEN); the token never goes in this file',
      })
      .optional(),
    /** Only these tools of the server are offered to the model (default: all it lists). */
    allow: z.array(z.string().min(1)).min(1, { error: 'allow needs at least one tool name' }).optional(),
    /** What one call costs, as the operator declares it; counted against the contract's budget. */
    costPerCallUsd: z.number().nonnegative().default(0),
    /** One request's bound (connecting, listing tools, each tool call). */
    timeout: Duration.default('30s'),
    /** Operator statements per tool name that replace the server's claimed annotations. */
    annotations: z.record(z.string().min(1), ToolHintsOverride).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if ((s.command === undefined) === (s.url === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: s.command === undefined ? [] : ['url'],
        message:
          'a tool server needs exactly one of command (stdio: command, args, env) or url (streamable HTTP)',
      });
    }
    if (s.command !== undefined && s.tokenEnv !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['tokenEnv'],
        message: 'tokenEnv is for url servers; a stdio server gets its secrets through env',
      });
    }
    if (s.url !== undefined) {
      for (const field of ['args', 'env'] as const) {
        if (s[field] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [field],
            message: `${field} is for stdio servers (command); remove it from this url server`,
          });
        }
      }
    }
  });
export type ToolServer = z.infer<typeof ToolServer>;

export const ToolServers = z
  .array(ToolServer)
  .min(1, { error: 'tools needs at least one server; remove "tools" for an agent without tools' })
  .superRefine((servers, ctx) => {
    const seen = new Set<string>();
    servers.forEach((s, i) => {
      if (seen.has(s.id)) {
        ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate tool server id "${s.id}"` });
      }
      seen.add(s.id);
    });
  });

/** A tool server's request bound when its `timeout` cannot be read (the schema's default). */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** The agent loop's hard bounds; each is enforced by the loop, never estimated. */
export const TOOL_LOOP_DEFAULTS = { maxTurns: 8, maxToolCalls: 16, maxToolResultBytes: 32_768 } as const;
/**
 * Every result goes back to the model with each later turn, and each turn's input is one payload
 * in the workflow history (Temporal refuses payloads near 2 MB): the per-result cap stays well
 * below that so a loop of results still fits.
 */
export const MAX_TOOL_RESULT_BYTES = 262_144;

const whole = (field: string, min: number, max: number) =>
  z
    .number({ error: `${field} must be a whole number from ${min} to ${max}` })
    .int({ error: `${field} must be a whole number from ${min} to ${max}` })
    .min(min, { error: `${field} must be at least ${min}` })
    .max(max, { error: `${field} must be at most ${max}` });

/** Fields the `openai` endpoint gains for tools (spread into its schema in agent.ts). */
export const toolEndpointFields = {
  tools: ToolServers.optional(),
  maxTurns: whole('maxTurns', 1, 100).optional(),
  maxToolCalls: whole('maxToolCalls', 1, 1000).optional(),
  maxToolResultBytes: whole('maxToolResultBytes', 256, MAX_TOOL_RESULT_BYTES).optional(),
};

/** Bounds without tools are a mistake (they would silently do nothing). */
export function checkToolBounds(
  endpoint: { tools?: unknown; maxTurns?: number; maxToolCalls?: number; maxToolResultBytes?: number },
  ctx: z.RefinementCtx,
): void {
  if (endpoint.tools !== undefined) return;
  for (const field of ['maxTurns', 'maxToolCalls', 'maxToolResultBytes'] as const) {
    if (endpoint[field] !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [field],
        message: `${field} bounds the tool loop; it has no effect without tools: declare tools or remove it`,
      });
    }
  }
}

export interface ToolLoopBounds {
  maxTurns: number;
  maxToolCalls: number;
  maxToolResultBytes: number;
}

/** The loop bounds of an endpoint, with the defaults filled in. */
export function toolLoopBounds(endpoint: Partial<ToolLoopBounds>): ToolLoopBounds {
  return {
    maxTurns: endpoint.maxTurns ?? TOOL_LOOP_DEFAULTS.maxTurns,
    maxToolCalls: endpoint.maxToolCalls ?? TOOL_LOOP_DEFAULTS.maxToolCalls,
    maxToolResultBytes: endpoint.maxToolResultBytes ?? TOOL_LOOP_DEFAULTS.maxToolResultBytes,
  };
}

/** A tool's annotations exactly as its server reported them: claims, not guarantees. */
export const ToolClaims = z.object({
  title: z.string().optional(),
  readOnlyHint: z.boolean().optional(),
  destructiveHint: z.boolean().optional(),
  idempotentHint: z.boolean().optional(),
  openWorldHint: z.boolean().optional(),
});
export type ToolClaims = z.infer<typeof ToolClaims>;

/** What policy sees of a tool (the `Arbiter::Tool` entity's flags). */
export const ToolHints = z.object({
  readOnly: z.boolean(),
  destructive: z.boolean(),
  openWorld: z.boolean(),
  idempotent: z.boolean(),
});
export type ToolHints = z.infer<typeof ToolHints>;

/**
 * The flags policy decides on. The operator's statement wins; otherwise the server's claims are
 * read the way the MCP specification defines their defaults, which are the cautious reading: a
 * tool is read-only only when it says so, destructive unless it says it is not (or is read-only),
 * open-world unless it says it is not, and idempotent only when it says so.
 */
export function hintsOf(claims: ToolClaims, override: ToolHintsOverride = {}): ToolHints {
  const readOnly = override.readOnly ?? claims.readOnlyHint === true;
  return {
    readOnly,
    destructive: override.destructive ?? (readOnly ? false : claims.destructiveHint !== false),
    openWorld: override.openWorld ?? claims.openWorldHint !== false,
    idempotent: override.idempotent ?? claims.idempotentHint === true,
  };
}

/** How a tool policy routes a call (policies/tools.cedar's `@route`). */
export const TOOL_ROUTES = ['ALLOW', 'HUMAN_REVIEW', 'DENY'] as const;
export const ToolRoute = z.enum(TOOL_ROUTES);
export type ToolRoute = z.infer<typeof ToolRoute>;

const Id = z.string().min(1);
const Count = z.number().int().nonnegative();

/** One tool as discovered when the agent ran; recorded in the history, so decisions replay. */
export const DiscoveredTool = z.object({
  server: Id,
  name: Id,
  /** The name the model calls it by: `<server>__<tool>`, made safe for function names. */
  functionName: Id,
  description: z.string(),
  inputSchema: z.record(z.string(), z.json()),
  /** The annotations exactly as the server claimed them. */
  claims: ToolClaims,
  /** What policy sees (hintsOf: the operator's statement, else the claims read cautiously). */
  hints: ToolHints,
  operatorAnnotated: z.boolean(),
  costPerCallUsd: z.number().nonnegative(),
  /**
   * The server's bound on one request (agents.yaml `timeout`). A call step connects (at most this
   * long) and calls (at most this long again), so its activity timeout should exceed twice this.
   */
  timeoutMs: z.number().int().positive(),
});
export type DiscoveredTool = z.infer<typeof DiscoveredTool>;

export const DiscoveredServer = z.object({
  id: Id,
  transport: z.enum(['stdio', 'http']),
  /** The server's own name and version from the MCP handshake. */
  serverName: z.string().optional(),
  serverVersion: z.string().optional(),
  /** How many tools it listed, and how many the agent's `allow` kept. */
  offered: Count,
  kept: Count,
  /** `allow` entries the server does not offer (a typo, or a tool the server dropped). */
  notOffered: z.array(z.string()),
});
export type DiscoveredServer = z.infer<typeof DiscoveredServer>;

/** The agent's loop bounds as its agents file set them when it ran (defaults filled in). */
export const LoopBounds = z.object({
  maxTurns: z.number().int().positive(),
  maxToolCalls: z.number().int().positive(),
  maxToolResultBytes: z.number().int().positive(),
});
export type LoopBounds = z.infer<typeof LoopBounds>;
