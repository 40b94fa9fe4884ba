// The Temporal server binary, the SQL schema tool and the PostgreSQL schemas, built once from the
// Go module proxy into .tools/temporal-server-<version>/ and reused by every checkout (.tools is
// shared). Idempotent and safe to run from several processes at once: one builds under a lock, the
// others wait for it; a directory only gets its final name once it is complete.
//
// `npx tsx scripts/cluster/tools.ts` builds (or reuses) the tools and exits; scripts/setup.mjs
// starts it in the background for `npm test`, so the build overlaps the typecheck and lint.
import { spawn } from 'node:child_process';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { setPriority } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { GO_BINARIES, GO_TOOLCHAIN, SCHEMA_SUBDIR, SERVER_MODULE, TEMPORAL_SERVER_VERSION } from './spec.js';

export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const toolsRoot = join(repoRoot, '.tools');

export interface ServerTools {
  dir: string;
  server: string;
  sqlTool: string;
  /** Holds `temporal/` and `visibility/`, each with `versioned/` schema steps. */
  schemaRoot: string;
}

export function serverTools(version = TEMPORAL_SERVER_VERSION): ServerTools {
  const dir = join(toolsRoot, `temporal-server-${version}`);
  return {
    dir,
    server: join(dir, 'bin', 'temporal-server'),
    sqlTool: join(dir, 'bin', 'temporal-sql-tool'),
    schemaRoot: join(dir, 'schema'),
  };
}

const lockFile = (t: ServerTools) => `${t.dir}.lock`;
export const buildLog = (t: ServerTools = serverTools()) => `${t.dir}.build.log`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the build lock, or says which live process holds it. A dead holder's lock is taken over. */
function tryLock(t: ServerTools): { held: true } | { held: false; by: number } {
  mkdirSync(toolsRoot, { recursive: true });
  for (;;) {
    try {
      const fd = openSync(lockFile(t), 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return { held: true };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const by = Number(readFileSync(lockFile(t), 'utf8').trim());
      if (Number.isInteger(by) && by > 0 && alive(by)) return { held: false, by };
      rmSync(lockFile(t), { force: true });
    }
  }
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const out = openSync(logFile, 'a');
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', out] });
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('error', (err: NodeJS.ErrnoException) => {
      closeSync(out);
      reject(
        err.code === 'ENOENT'
          ? new Error(
              `${cmd} is not installed: the Temporal server is built with Go (any Go ≥ 1.21 fetches ` +
                `${GO_TOOLCHAIN} from the module proxy). Install Go, or set GO to its path.`,
            )
          : err,
      );
    });
    child.on('close', (code) => {
      closeSync(out);
      if (code === 0) resolvePromise(stdout);
      else {
        const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-15).join('\n');
        reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${tail}`));
      }
    });
  });
}

async function build(t: ServerTools, log: (line: string) => void): Promise<void> {
  const staging = `${t.dir}.partial-${process.pid}`;
  const logFile = buildLog(t);
  rmSync(staging, { recursive: true, force: true });
  rmSync(logFile, { force: true });
  mkdirSync(join(staging, 'bin'), { recursive: true });
  const go = process.env.GO ?? 'go';
  const env = {
    ...process.env,
    GOTOOLCHAIN: GO_TOOLCHAIN,
    GOBIN: join(staging, 'bin'),
    // The PostgreSQL driver is pure Go: no C compiler needed, and nothing to link against.
    CGO_ENABLED: '0',
  };
  const t0 = Date.now();
  log(
    `building the Temporal server ${TEMPORAL_SERVER_VERSION} and its SQL tool with Go (${GO_TOOLCHAIN}); ` +
      `a few minutes on a fresh machine, log in ${logFile}`,
  );
  try {
    await run(
      go,
      ['install', '-ldflags=-s -w', ...GO_BINARIES.map((b) => `${b.pkg}@v${TEMPORAL_SERVER_VERSION}`)],
      env,
      logFile,
    );
    for (const b of GO_BINARIES) renameSync(join(staging, 'bin', b.built), join(staging, 'bin', b.name));
    // The schemas ship in the module itself, which `go install` has just put in the module cache.
    const info = JSON.parse(
      await run(
        go,
        ['mod', 'download', '-json', `${SERVER_MODULE}@v${TEMPORAL_SERVER_VERSION}`],
        env,
        logFile,
      ),
    ) as { Dir?: string };
    if (!info.Dir) throw new Error(`go mod download did not say where ${SERVER_MODULE} is`);
    for (const schema of ['temporal', 'visibility']) {
      cpSync(join(info.Dir, SCHEMA_SUBDIR, schema), join(staging, 'schema', schema), { recursive: true });
    }
    // The module cache is read-only; the copy must stay removable by whoever owns .tools.
    await run('chmod', ['-R', 'u+w', join(staging, 'schema')], env, logFile);
    const version = await run(join(staging, 'bin', 'temporal-server'), ['--version'], env, logFile);
    if (!version.includes(TEMPORAL_SERVER_VERSION)) {
      throw new Error(`the built server says "${version.trim()}", not ${TEMPORAL_SERVER_VERSION}`);
    }
    renameSync(staging, t.dir);
    log(`built ${t.dir} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * The server tools of the pinned version: reused when built, built when missing, or waited for
 * when another process is building them.
 */
export async function ensureServerTools(log: (line: string) => void = () => undefined): Promise<ServerTools> {
  const t = serverTools();
  let waitingFor = 0;
  for (;;) {
    if (existsSync(t.server)) return t;
    const lock = tryLock(t);
    if (lock.held) {
      try {
        // Another process may have finished between the check and the lock.
        if (!existsSync(t.server)) await build(t, log);
        return t;
      } finally {
        rmSync(lockFile(t), { force: true });
      }
    }
    if (waitingFor !== lock.by) {
      log(`waiting for the Temporal server build in progress (pid ${lock.by}, log in ${buildLog(t)})`);
      waitingFor = lock.by;
    }
    await sleep(1000);
  }
}

// Run directly: build (or reuse) and exit. `--nice` lowers the build's priority, for a build in the
// background of other work.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--nice')) setPriority(10);
  ensureServerTools((line) => process.stderr.write(`[cluster tools] ${line}\n`)).then(
    (t) => process.stdout.write(`${t.dir}\n`),
    (err: Error) => {
      process.stderr.write(`[cluster tools] ${err.message}\n`);
      process.exit(1);
    },
  );
}
