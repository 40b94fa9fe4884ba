// Discovery: what each of an agent's MCP servers offers, narrowed by the agent's `allow`, with the
// flags policy decides on. Descriptions and schemas come from the server and go to the model; the
// flags are read cautiously from the server's claims unless the operator stated them.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { parseDuration } from '../shared/duration.js';
import { DEFAULT_TIMEOUT_MS, hintsOf, ToolClaims, type ToolServer } from '../shared/tools.js';
import type { DiscoveredServer, DiscoveredTool } from '../shared/toolSteps.js';

/** A server listing more pages than this is cut off (a loop guard against a misbehaving server). */
const MAX_PAGES = 50;
/** Descriptions go to the model with every turn: a long one is cut to bound the turn's input. */
export const MAX_DESCRIPTION_CHARS = 2_000;
const FUNCTION_NAME_MAX = 64;

interface Listed {
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  annotations?: unknown;
}

export async function listServerTools(
  client: Client,
  opts: { timeoutMs: number; signal?: AbortSignal },
): Promise<Listed[]> {
  const tools: Listed[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const res = await client.listTools(cursor ? { cursor } : undefined, {
      timeout: opts.timeoutMs,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    tools.push(...res.tools);
    cursor = res.nextCursor;
    if (!cursor) break;
  }
  return tools;
}

/** Keeps what `allow` names (all when absent) and says which allowed names the server lacks. */
export function narrow(server: ToolServer, listed: Listed[]): { kept: Listed[]; notOffered: string[] } {
  if (!server.allow) return { kept: listed, notOffered: [] };
  const allow = new Set(server.allow);
  const offered = new Set(listed.map((t) => t.name));
  return {
    kept: listed.filter((t) => allow.has(t.name)),
    notOffered: server.allow.filter((n) => !offered.has(n)),
  };
}

export function describeTool(server: ToolServer, tool: Listed): Omit<DiscoveredTool, 'functionName'> {
  // Annotations a server sends in a shape the specification does not define are ignored, which
  // leaves the cautious defaults.
  const parsed = ToolClaims.safeParse(tool.annotations ?? {});
  const claims = parsed.success ? parsed.data : {};
  const override = server.annotations?.[tool.name];
  const description = tool.description ?? '';
  return {
    server: server.id,
    name: tool.name,
    description:
      description.length > MAX_DESCRIPTION_CHARS
        ? `${description.slice(0, MAX_DESCRIPTION_CHARS)}…`
        : description,
    inputSchema: JSON.parse(JSON.stringify(tool.inputSchema ?? { type: 'object' })) as Record<string, never>,
    claims,
    hints: hintsOf(claims, override),
    operatorAnnotated: override !== undefined,
    costPerCallUsd: server.costPerCallUsd,
    timeoutMs: parseDuration(server.timeout) ?? DEFAULT_TIMEOUT_MS,
  };
}

/**
 * Function names for the model: `<server>__<tool>`, limited to the characters and length chat
 * APIs accept, and unique across the agent's servers (a clash gets a numbered suffix).
 */
export function withFunctionNames(tools: Omit<DiscoveredTool, 'functionName'>[]): DiscoveredTool[] {
  const used = new Set<string>();
  return tools.map((t) => {
    const base = `${t.server}__${t.name}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, FUNCTION_NAME_MAX);
    let name = base;
    for (let n = 2; used.has(name); n += 1) {
      const suffix = `_${n}`;
      name = `${base.slice(0, FUNCTION_NAME_MAX - suffix.length)}${suffix}`;
    }
    used.add(name);
    return { ...t, functionName: name };
  });
}

export function serverSummary(
  server: ToolServer,
  kind: 'stdio' | 'http',
  client: Client,
  listed: number,
  kept: number,
  notOffered: string[],
): DiscoveredServer {
  const info = client.getServerVersion();
  return {
    id: server.id,
    transport: kind,
    ...(info?.name ? { serverName: info.name } : {}),
    ...(info?.version ? { serverVersion: info.version } : {}),
    offered: listed,
    kept,
    notOffered,
  };
}
