// The embedded Temporal: `temporal server start-dev` as a child process, history in a SQLite
// file (so runs survive a restart), SPEC §4's search attributes registered at start.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { ArbiterError } from '../shared/errors.js';
import { searchAttributeFlags } from './searchAttributes.js';
import { temporalBin } from './temporalBin.js';

export interface DevServerOptions {
  port: number;
  /** Web UI port; omit for a headless server. */
  uiPort?: number;
  /** SQLite history file; omit for an in-memory server (tests). */
  dbFile?: string;
  /**
   * SQLite pragmas (`name=value`) for that file. Only the benchmark sets them (a lever it measures);
   * `arbiter dev` never does, so user history keeps SQLite's durable defaults.
   */
  sqlitePragmas?: string[];
  namespace?: string;
  startTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

async function waitUntilServing(address: string, child: ChildProcess, timeoutMs: number, logs: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new ArbiterError(
        'TEMPORAL_UNREACHABLE',
        `the Temporal dev server exited (code ${child.exitCode})`,
        [logs().trim().split('\n').slice(-5).join('\n')],
      );
    }
    try {
      const conn = await Connection.connect({ address, connectTimeout: '1s' });
      try {
        await conn.workflowService.getSystemInfo({});
        return;
      } finally {
        await conn.close();
      }
    } catch {
      await sleep(200);
    }
  }
  throw new ArbiterError(
    'TEMPORAL_UNREACHABLE',
    `the Temporal dev server did not answer at ${address} within ${timeoutMs} ms`,
  );
}

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port)];
  args.push('--namespace', opts.namespace ?? 'default', '--log-level', 'warn', ...searchAttributeFlags());
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  if (opts.dbFile) {
    mkdirSync(dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
    for (const pragma of opts.sqlitePragmas ?? []) args.push('--sqlite-pragma', pragma);
  }
  const child = spawn(temporalBin(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const address = `127.0.0.1:${opts.port}`;
  // A process that exits without stopping its server (an uncaught error, process.exit) would leave
  // it running, holding the port and the SQLite file. 'exit' handlers must be synchronous: a signal
  // is all there is time for, and the server shuts down on its own after it.
  const stopOnExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  process.once('exit', stopOnExit);
  const stop = async () => {
    process.removeListener('exit', stopOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitUntilServing(address, child, opts.startTimeoutMs ?? 60_000, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    address,
    ...(opts.uiPort ? { uiUrl: `http://localhost:${opts.uiPort}` } : {}),
    process: child,
    stop,
  };
}
