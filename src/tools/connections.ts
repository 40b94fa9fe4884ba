// Connections to MCP servers, pooled per worker process.
//
// Lifetime: one connection per (contract, server config), kept while the contract's loop uses it
// and closed after IDLE_CLOSE_MS without use. Why not one connection per call: a stdio server is a
// process start plus the MCP handshake — about 1.1 s for examples/mcp/files-server.ts on this
// project's 2-core machine, against under 1 ms for a call on an open connection (more for servers
// started through npx) — and an agent loop makes many calls in a row (discovery, then a call per
// step), so per-call connections would pay that start on every step. Why not one
// connection per server config shared by every contract: a stdio server process (and an HTTP
// session) can hold state between calls, and one contract's data (confidential, PII) must not be
// reachable from another contract's calls through a server's memory. Scoping by contract keeps
// that boundary at the cost of one start per contract per worker. Exactly-once never depends on a
// connection: a retried step may land on another connection or worker, so the idempotency key in
// each call's `_meta` is what lets a server recognise a repeat.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { agentFailure } from '../shared/failures.js';
import type { ToolServer } from '../shared/tools.js';
import { openTransport, type OpenedTransport } from './transport.js';
import { describeFailure } from './failures.js';

export const IDLE_CLOSE_MS = 30_000;
/** Idle connections beyond this many are closed, least recently used first. */
export const MAX_OPEN = 32;
const CLIENT_INFO = { name: 'arbiter', version: '0.1.0' };

interface Entry {
  key: string;
  server: ToolServer;
  ready: Promise<Connected>;
  users: number;
  lastUsed: number;
  /** No new users: closed once the current ones are done. */
  broken: boolean;
  timer?: NodeJS.Timeout;
}

export interface Connected {
  client: Client;
  opened: OpenedTransport;
}

// Stdio servers are child processes: when the worker exits, they go with it, whatever the path
// out (a signal handler's process.exit, an uncaught error).
const livePids = new Set<number>();
let exitHook = false;
function track(pid: number | null): void {
  if (pid === null) return;
  livePids.add(pid);
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const p of livePids) {
      try {
        process.kill(p);
      } catch {
        // already gone
      }
    }
  });
}

export interface ConnectionOptions {
  idleMs?: number;
  maxOpen?: number;
  env?: NodeJS.ProcessEnv;
}

export class ToolConnections {
  private readonly entries = new Map<string, Entry>();
  private readonly idleMs: number;
  private readonly maxOpen: number;
  private readonly env: NodeJS.ProcessEnv;

  constructor(opts: ConnectionOptions = {}) {
    this.idleMs = opts.idleMs ?? IDLE_CLOSE_MS;
    this.maxOpen = opts.maxOpen ?? MAX_OPEN;
    this.env = opts.env ?? process.env;
  }

  /** Open connections (in use or idle). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Runs `fn` with a connected client for `server` within `scope` (the contract's workflow id). A
   * failure closes the connection once its other users are done, so the next use starts afresh
   * rather than reusing a process that may be hung or dead.
   */
  async use<T>(
    server: ToolServer,
    scope: string,
    fn: (c: Connected) => Promise<T>,
    opts: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<T> {
    const entry = this.acquire(server, scope, opts);
    try {
      const connected = await entry.ready;
      return await fn(connected);
    } catch (err) {
      entry.broken = true;
      throw err;
    } finally {
      this.release(entry);
    }
  }

  async closeAll(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => this.close(e)));
  }

  private keyOf(server: ToolServer, scope: string): string {
    const { command, args, env, url, tokenEnv } = server;
    return JSON.stringify([scope, server.id, command, args, env, url, tokenEnv]);
  }

  private acquire(
    server: ToolServer,
    scope: string,
    opts: { timeoutMs: number; signal?: AbortSignal },
  ): Entry {
    const key = this.keyOf(server, scope);
    let entry = this.entries.get(key);
    if (entry?.broken) {
      // Its current users keep it until they finish; new work gets a fresh connection.
      this.entries.delete(key);
      entry = undefined;
    }
    if (!entry) {
      this.trim();
      const created: Entry = {
        key,
        server,
        ready: Promise.resolve(undefined!),
        users: 0,
        lastUsed: Date.now(),
        broken: false,
      };
      const lost = () => {
        created.broken = true;
      };
      created.ready = this.connect(server, opts, lost);
      created.ready.catch(lost);
      this.entries.set(key, created);
      entry = created;
    }
    clearTimeout(entry.timer);
    entry.users += 1;
    return entry;
  }

  private release(entry: Entry): void {
    entry.users -= 1;
    entry.lastUsed = Date.now();
    if (entry.users > 0) return;
    if (entry.broken) {
      if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
      void this.close(entry);
      return;
    }
    entry.timer = setTimeout(() => {
      if (entry.users > 0) return;
      if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
      void this.close(entry);
    }, this.idleMs);
    entry.timer.unref();
  }

  /** Closes idle connections, least recently used first, until there is room for one more. */
  private trim(): void {
    const idle = [...this.entries.values()]
      .filter((e) => e.users === 0)
      .sort((a, b) => a.lastUsed - b.lastUsed);
    while (this.entries.size >= this.maxOpen && idle.length > 0) {
      const e = idle.shift()!;
      this.entries.delete(e.key);
      void this.close(e);
    }
  }

  private async connect(
    server: ToolServer,
    opts: { timeoutMs: number; signal?: AbortSignal },
    lost: () => void,
  ): Promise<Connected> {
    const opened = openTransport(server, this.env);
    const client = new Client(CLIENT_INFO, { capabilities: {} });
    try {
      await client.connect(opened.transport, {
        timeout: opts.timeoutMs,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (err) {
      await client.close().catch(() => undefined);
      const tail = opened.stderrTail();
      const { category, message } = describeFailure(err);
      throw agentFailure(
        category,
        `tool server ${server.id}: could not connect: ${message}${tail ? ` (its stderr: ${tail.slice(-500)})` : ''}`,
      );
    }
    const pid = opened.pid();
    track(pid);
    // A server that exits or drops the connection is never handed out again.
    client.onclose = () => {
      if (pid !== null) livePids.delete(pid);
      lost();
    };
    return { client, opened };
  }

  private async close(entry: Entry): Promise<void> {
    clearTimeout(entry.timer);
    const connected = await entry.ready.catch(() => undefined);
    if (!connected) return;
    const pid = connected.opened.pid();
    await connected.client.close().catch(() => undefined);
    if (pid !== null) livePids.delete(pid);
  }
}
