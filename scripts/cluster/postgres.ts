// A private PostgreSQL cluster for Temporal: initialised in the cluster's data dir, listening on
// 127.0.0.1 only (no Unix socket), password login (SCRAM) for the one role it has. PostgreSQL
// refuses to run as root, so when this runs as root the server runs as the `postgres` OS user
// (Debian's package creates it) and the data dir belongs to that user.
import { spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { logDir, tail } from './processes.js';

export interface PostgresSettings {
  /** The data dir (PGDATA), e.g. <cluster>/postgres. */
  dataDir: string;
  port: number;
  user: string;
  password: string;
  /** Where the server logs (a directory it can write to). */
  logFile: string;
}

const isRoot = () => process.getuid?.() === 0;

/** The OS user PostgreSQL runs as: `postgres` when this process is root, else this process's user. */
function dbOsUser(): { uid: number; gid: number } | undefined {
  if (!isRoot()) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) {
    throw new Error(
      'PostgreSQL refuses to run as root and there is no `postgres` OS user: install the Debian package ' +
        '`postgresql` (it creates one) or run as a non-root user',
    );
  }
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** The newest PostgreSQL (12 or later) server installation's bin dir, or undefined. */
function findBinDir(): string | undefined {
  if (process.env.ARBITER_PG_BIN) return process.env.ARBITER_PG_BIN;
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  return readdirSync(base)
    .filter((v) => Number(v) >= 12 && existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => join(base, v, 'bin'))[0];
}

/**
 * The PostgreSQL server binaries: an installed server (ARBITER_PG_BIN, or Debian's
 * /usr/lib/postgresql/<version>/bin), else Debian's `postgresql` package installed with apt-get
 * when this runs as root.
 */
export function ensurePostgresInstalled(log: (line: string) => void): string {
  const found = findBinDir();
  if (found) return found;
  if (!isRoot() || spawnSync('apt-get', ['--version']).status !== 0) {
    throw new Error(
      'PostgreSQL (12 or later) is not installed: install the server package (Debian: `apt-get install postgresql`), ' +
        'or set ARBITER_PG_BIN to the directory holding initdb and pg_ctl',
    );
  }
  log('installing PostgreSQL from Debian (apt-get install postgresql)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql'], { env, stdio: 'pipe' });
  let r = install();
  if (r.status !== 0) {
    spawnSync('apt-get', ['update'], { env, stdio: 'pipe' });
    r = install();
  }
  const bin = findBinDir();
  if (r.status !== 0 || !bin) {
    throw new Error(
      `apt-get install postgresql failed:\n${String(r.stderr).trim().split('\n').slice(-5).join('\n')}`,
    );
  }
  return bin;
}

function runAsDbUser(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const user = dbOsUser();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      // cwd: somewhere the postgres user may be; the repo may sit under a private home.
      cwd: '/',
      env: { ...process.env, LC_ALL: 'C', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(user ?? {}),
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`${bin} ${args.join(' ')} exited ${code}:\n${out.trim()}`)),
    );
  });
}

/** Hands a path to the database's OS user (when running as root), so the server can write there. */
function giveToDbUser(path: string): void {
  const user = dbOsUser();
  if (user) chownSync(path, user.uid, user.gid);
}

/** Every directory above `dir` must be enterable by the database's OS user. */
function checkReachable(dir: string): void {
  const user = dbOsUser();
  if (!user) return;
  const r = spawnSync('/bin/sh', ['-c', 'cd "$0"', dir], { uid: user.uid, gid: user.gid, cwd: '/' });
  if (r.status !== 0) {
    throw new Error(
      `the postgres OS user cannot reach ${dir}: PostgreSQL runs as that user, so every directory above ` +
        'the cluster data dir needs o+x (chmod o+x on them), or choose another --data-dir',
    );
  }
}

/** Initialises the data dir once (a dir with PG_VERSION is kept as it is). */
export async function initPostgres(
  bin: string,
  s: PostgresSettings,
  log: (line: string) => void,
): Promise<boolean> {
  if (existsSync(join(s.dataDir, 'PG_VERSION'))) return false;
  const parent = dirname(s.dataDir);
  mkdirSync(parent, { recursive: true });
  checkReachable(parent);
  rmSync(s.dataDir, { recursive: true, force: true });
  mkdirSync(s.dataDir, { mode: 0o700 });
  giveToDbUser(s.dataDir);
  mkdirSync(dirname(s.logFile), { recursive: true });
  if (!existsSync(s.logFile)) writeFileSync(s.logFile, '');
  giveToDbUser(s.logFile);
  // initdb reads the password from a file (beside the data dir, which must be empty), for a moment.
  const pwFile = join(parent, '.initdb-password');
  writeFileSync(pwFile, `${s.password}\n`, { mode: 0o600 });
  giveToDbUser(pwFile);
  log(`initialising PostgreSQL in ${s.dataDir}`);
  try {
    await runAsDbUser(join(bin, 'initdb'), [
      '-D',
      s.dataDir,
      '-U',
      s.user,
      `--pwfile=${pwFile}`,
      '--auth-host=scram-sha-256',
      '--auth-local=scram-sha-256',
      '-E',
      'UTF8',
      '--no-locale',
      // Only the files initdb writes skip fsync; the server itself runs with PostgreSQL's defaults.
      '--no-sync',
    ]);
  } finally {
    rmSync(pwFile, { force: true });
  }
  appendFileSync(
    join(s.dataDir, 'postgresql.conf'),
    [
      '',
      '# Arbiter cluster: loopback TCP only, no Unix socket (the port is given at start).',
      "listen_addresses = '127.0.0.1'",
      "unix_socket_directories = ''",
      '',
    ].join('\n'),
  );
  return true;
}

/** The running postmaster's pid, from postmaster.pid. */
export function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

export async function startPostgres(bin: string, s: PostgresSettings): Promise<void> {
  if (postmasterPid(s.dataDir)) return;
  try {
    await runAsDbUser(join(bin, 'pg_ctl'), [
      'start',
      '-D',
      s.dataDir,
      '-w',
      '-t',
      '120',
      '-l',
      s.logFile,
      '-o',
      `-p ${s.port}`,
    ]);
  } catch (err) {
    throw new Error(
      `PostgreSQL did not start on 127.0.0.1:${s.port}: ${(err as Error).message}\n${tail(s.logFile)}`,
      { cause: err },
    );
  }
}

/**
 * Stops the server. `immediate` is PostgreSQL's crash stop: every process exits at once and the
 * next start replays the WAL, as after a power cut.
 */
export async function stopPostgres(
  bin: string,
  dataDir: string,
  mode: 'fast' | 'immediate' = 'fast',
): Promise<void> {
  if (!postmasterPid(dataDir)) return;
  await runAsDbUser(join(bin, 'pg_ctl'), ['stop', '-D', dataDir, '-m', mode, '-w', '-t', '60']);
}

/** Runs SQL with psql and returns its unaligned output (rows of `|`-separated fields). */
export async function psql(
  bin: string,
  s: Pick<PostgresSettings, 'port' | 'user' | 'password'>,
  db: string,
  sql: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      join(bin, 'psql'),
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(s.port),
        '-U',
        s.user,
        '-d',
        db,
        '-X',
        '-A',
        '-t',
        '-v',
        'ON_ERROR_STOP=1',
        '-c',
        sql,
      ],
      {
        env: { ...process.env, PGPASSWORD: s.password, PGCONNECT_TIMEOUT: '5' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`psql: ${err.trim()}`)),
    );
  });
}

/** Waits until the server takes a password login and answers a query. */
export async function waitForPostgres(bin: string, s: PostgresSettings, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await psql(bin, s, 'postgres', 'select 1');
      return;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`PostgreSQL on 127.0.0.1:${s.port} did not answer: ${(err as Error).message}`, {
          cause: err,
        });
      await sleep(250);
    }
  }
}

export const postgresLogFile = (clusterDir: string) => join(logDir(clusterDir), 'postgres.log');
