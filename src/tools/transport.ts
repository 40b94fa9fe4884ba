// How Arbiter reaches one MCP server: a stdio child process that sees only the environment
// variables the operator named, or streamable HTTP to a host under the allowlist (checked for
// every request the transport makes, not only the first).
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { HOSTS_ENV, hostAllowed } from '../config/hosts.js';
import { agentFailure } from '../shared/failures.js';
import type { ToolServer } from '../shared/tools.js';

/** How much of a stdio server's stderr is kept to explain a failure. */
const STDERR_TAIL_BYTES = 4_096;

export interface OpenedTransport {
  transport: Transport;
  kind: 'stdio' | 'http';
  /** The last lines the stdio server wrote to stderr ('' for http). */
  stderrTail(): string;
  /** The stdio child's pid, once started. */
  pid(): number | null;
}

/**
 * The environment a stdio server starts with: the variables its `env` names, taken from the
 * worker's environment. The SDK adds its own minimal base (HOME, LOGNAME, PATH, SHELL, TERM, USER)
 * so programs can be found and run; nothing else of the worker's environment (API keys, codec
 * keys, Temporal credentials) reaches the server.
 */
export function serverEnv(server: ToolServer, env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of server.env ?? []) {
    const value = env[name];
    if (value === undefined) {
      throw agentFailure(
        'refused',
        `tool server ${server.id}: environment variable ${name} (listed in its env) is not set in the worker's environment`,
      );
    }
    out[name] = value;
  }
  return out;
}

function checkedUrl(server: ToolServer, url: string, env: NodeJS.ProcessEnv): URL {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw agentFailure('refused', `tool server ${server.id}: only http and https URLs are called`);
  }
  if (!hostAllowed(parsed, env[HOSTS_ENV])) {
    throw agentFailure(
      'refused',
      `tool server ${server.id}: ${parsed.host} is not in ${HOSTS_ENV}; add it there to allow calls to it`,
    );
  }
  return parsed;
}

export function openTransport(server: ToolServer, env: NodeJS.ProcessEnv = process.env): OpenedTransport {
  if (server.command !== undefined) {
    const transport = new StdioClientTransport({
      command: server.command,
      args: server.args ?? [],
      env: serverEnv(server, env),
      // Piped, not inherited: a server's logs stay out of the worker's output, and the tail
      // explains a server that dies at start.
      stderr: 'pipe',
    });
    let tail = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      tail = (tail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    return { transport, kind: 'stdio', stderrTail: () => tail.trim(), pid: () => transport.pid };
  }
  const url = checkedUrl(server, server.url ?? '', env);
  const headers: Record<string, string> = {};
  if (server.tokenEnv !== undefined) {
    const token = env[server.tokenEnv];
    if (!token) {
      throw agentFailure(
        'refused',
        `tool server ${server.id}: environment variable ${server.tokenEnv} (its tokenEnv) is not set in the worker's environment`,
      );
    }
    headers.authorization = `Bearer ${token}`;
  }
  // Every request the transport makes (POST, the GET stream, DELETE at close) is checked: the
  // server may name another URL for the stream, and the allowlist must hold for it as well.
  const guarded = (input: string | URL, init?: RequestInit) => {
    const target = new URL(input instanceof URL ? input.href : input);
    checkedUrl(server, target.href, env);
    return fetch(target, init);
  };
  const transport = new StreamableHTTPClientTransport(url, {
    fetch: guarded,
    requestInit: { headers },
  });
  return { transport, kind: 'http', stderrTail: () => '', pid: () => null };
}
