// The Temporal server binary, the SQL schema tool and the PostgreSQL schemas, built once from the
// Go module proxy into .tools/temporal-server-<version>/ and reused by every checkout (.tools is
// shared). Idempotent and safe to run from several processes at once: one builds under a lock, the
// others wait for it; the directory only gets its final name once it is complete.
//
// Plain Node with no dependencies, so scripts/setup.mjs can start it before node_modules exists:
//   node scripts/cluster/build.mjs               build (or reuse) and print the directory
//   node scripts/cluster/build.mjs --background  start that in the background and return at once
// (`npm test` does the latter first thing, so the minutes of Go compile overlap the rest of setup,
// the typecheck and the lint; the cluster suite waits for the build if it is still running).
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
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** The Temporal server release both twins run: `go install …@v<version>` here, image tags in compose. */
export const TEMPORAL_SERVER_VERSION = '1.32.2';
/** v1.32 needs Go ≥ 1.26.10; any go command fetches this toolchain from the module proxy. */
export const GO_TOOLCHAIN = 'go1.27.3';
export const SERVER_MODULE = 'go.temporal.io/server';
/** The packages `go install` builds, and the names their binaries get. */
export const GO_BINARIES = [
  { pkg: `${SERVER_MODULE}/cmd/server`, built: 'server', name: 'temporal-server' },
  { pkg: `${SERVER_MODULE}/cmd/tools/sql`, built: 'sql', name: 'temporal-sql-tool' },
];
/** The module folder with the PostgreSQL schemas (`temporal/` persistence, `visibility/` SQL visibility). */
export const SCHEMA_SUBDIR = 'schema/postgresql/v12';

export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const toolsRoot = join(repoRoot, '.tools');

export function serverTools(version = TEMPORAL_SERVER_VERSION) {
  const dir = join(toolsRoot, `temporal-server-${version}`);
  return {
    dir,
    server: join(dir, 'bin', 'temporal-server'),
    sqlTool: join(dir, 'bin', 'temporal-sql-tool'),
    schemaRoot: join(dir, 'schema'),
  };
}

const lockFile = (t) => `${t.dir}.lock`;
export const buildLog = (t = serverTools()) => `${t.dir}.build.log`;

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** Takes the build lock, or says which live process holds it. A dead holder's lock is taken over. */
function tryLock(t) {
  mkdirSync(toolsRoot, { recursive: true });
  for (;;) {
    try {
      const fd = openSync(lockFile(t), 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return { held: true };
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      let by = NaN;
      try {
        by = Number(readFileSync(lockFile(t), 'utf8').trim());
      } catch {
        // removed in between: try again
      }
      if (Number.isInteger(by) && by > 0 && alive(by)) return { held: false, by };
      rmSync(lockFile(t), { force: true });
    }
  }
}

function run(cmd, args, env, logFile) {
  return new Promise((resolvePromise, reject) => {
    const out = openSync(logFile, 'a');
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', out] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d.toString()));
    child.on('error', (err) => {
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
      if (code === 0) return resolvePromise(stdout);
      const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-15).join('\n');
      reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${tail}`));
    });
  });
}

async function build(t, log) {
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
    // The PostgreSQL driver is pure Go: no C compiler needed, nothing to link against.
    CGO_ENABLED: '0',
  };
  const t0 = Date.now();
  log(
    `building the Temporal server ${TEMPORAL_SERVER_VERSION} and its SQL tool with Go (${GO_TOOLCHAIN}); ` +
      `minutes on a fresh machine, log in ${logFile}`,
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
    );
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
 * while another process builds them.
 */
export async function ensureServerTools(log = () => undefined) {
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

/**
 * Starts the build in a detached process that outlives the caller, unless the tools are there.
 * Its output goes to .tools/temporal-server-<version>.background.log.
 */
export function startBackgroundBuild() {
  const t = serverTools();
  if (existsSync(t.server)) return false;
  mkdirSync(toolsRoot, { recursive: true });
  const out = openSync(`${t.dir}.background.log`, 'w');
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  child.unref();
  return true;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const say = (line) => process.stderr.write(`[cluster build] ${line}\n`);
  if (process.argv.includes('--background')) {
    say(startBackgroundBuild() ? 'started in the background' : 'already built');
  } else {
    ensureServerTools(say).then(
      (t) => process.stdout.write(`${t.dir}\n`),
      (err) => {
        say(err.message);
        process.exit(1);
      },
    );
  }
}
