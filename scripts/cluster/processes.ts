// The cluster's long-running processes: started detached (so `--keep` can leave them running and
// Ctrl-C in the terminal reaches only the script, which stops them in order), logging to files,
// each recorded in a pid file with its start time so a later `cluster stop` signals exactly the
// process it started, never a stranger that reused the pid.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Started {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Resolves once the process has exited (as seen by this process, which started it). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
  logFile: string;
}

export const pidDir = (dataDir: string) => join(dataDir, 'pids');
export const logDir = (dataDir: string) => join(dataDir, 'logs');

/**
 * The kernel's start time of a process (clock ticks since boot), or undefined if it is gone (a
 * zombie, exited but not yet reaped, counts as gone).
 */
export function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

/** The last lines of a log file, for an error message. */
export function tail(file: string, lines = 12): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export function startProcess(
  dataDir: string,
  name: string,
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Started {
  mkdirSync(pidDir(dataDir), { recursive: true });
  mkdirSync(logDir(dataDir), { recursive: true });
  const logFile = join(logDir(dataDir), `${name}.log`);
  const out = openSync(logFile, 'a');
  const child = spawn(cmd, args, {
    detached: true,
    stdio: ['ignore', out, out],
    env: opts.env ?? process.env,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
  closeSync(out);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${name} (${cmd})`);
  const pid = child.pid;
  writeFileSync(join(pidDir(dataDir), `${name}.pid`), `${pid} ${startTime(pid) ?? ''}\n`);
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    }),
  );
  return { name, pid, child, exited, running: () => !done, logFile };
}

/** A pid file's process, if it is still the process the file recorded. */
export function recordedPid(dataDir: string, name: string): number | undefined {
  const file = join(pidDir(dataDir), `${name}.pid`);
  if (!existsSync(file)) return undefined;
  const [pid, started] = readFileSync(file, 'utf8').trim().split(' ');
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) return undefined;
  const now = startTime(n);
  return now !== undefined && (started === undefined || started === '' || now === started) ? n : undefined;
}

export function recordedNames(dataDir: string): string[] {
  if (!existsSync(pidDir(dataDir))) return [];
  return readdirSync(pidDir(dataDir))
    .filter((f) => f.endsWith('.pid'))
    .map((f) => f.slice(0, -'.pid'.length));
}

export function forgetPid(dataDir: string, name: string): void {
  rmSync(join(pidDir(dataDir), `${name}.pid`), { force: true });
}

const gone = (pid: number, started: string | undefined) => startTime(pid) !== started;

/**
 * Stops the recorded process `name`: SIGTERM, then SIGKILL after `graceMs`. Resolves once it is
 * gone (or was not running) and removes its pid file. Returns whether it was running.
 */
export async function stopRecorded(dataDir: string, name: string, graceMs = 15_000): Promise<boolean> {
  const pid = recordedPid(dataDir, name);
  if (pid === undefined) {
    forgetPid(dataDir, name);
    return false;
  }
  const started = startTime(pid);
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // exited in between
  }
  const deadline = Date.now() + graceMs;
  while (!gone(pid, started) && Date.now() < deadline) await sleep(100);
  if (!gone(pid, started)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // exited in between
    }
    while (!gone(pid, started)) await sleep(50);
  }
  forgetPid(dataDir, name);
  return true;
}
