// docker-compose.yml, Dockerfile and .dockerignore: what a user relies on when they run
// `docker compose up --build`. No Docker engine is needed: the files are parsed, never built or run.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  SCHEMA_SUBDIR,
  SERVER_CONFIG_FILE,
  SERVICE_PORT_VARS,
  SERVICES,
  SQL_PLUGIN,
  TEMPORAL_SERVER_VERSION,
  schemaSteps,
} from '../../scripts/cluster/spec.js';
import { serverEnv } from '../../scripts/cluster/temporal.js';

const repoUrl = (name: string) => new URL(`../../${name}`, import.meta.url);
const read = (name: string) => readFileSync(repoUrl(name), 'utf8');

type Scalar = string | number | boolean | null;

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, Scalar> | string[];
  ports?: (string | number | { target?: number; published?: string | number })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[] };
  volumes?: (string | { source?: string; target?: string })[];
  deploy?: { replicas?: number };
  restart?: string;
  container_name?: string;
}

interface Compose {
  services?: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

// Compose reads YAML merge keys (`<<: *anchor`); the yaml package does when asked.
const compose = parse(read('docker-compose.yml'), { merge: true }) as Compose;
const services = compose.services ?? {};

function service(name: string): Service {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service "${name}"`);
  return s;
}

/** The environment as a map, from either the map or the `KEY=value` list form. */
function env(name: string): Record<string, string | undefined> {
  const e = service(name).environment ?? {};
  if (Array.isArray(e)) {
    return Object.fromEntries(
      e.map((entry) => {
        const i = entry.indexOf('=');
        return i < 0 ? [entry, undefined] : [entry.slice(0, i), entry.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v === null ? undefined : String(v)]));
}

/** Published port -> container port, from the short (`[ip:]host:container`) or long syntax. */
function ports(name: string): { published: string; target: string }[] {
  return (service(name).ports ?? []).map((p) => {
    if (typeof p === 'object') return { published: String(p.published), target: String(p.target) };
    const parts = String(p).split('/')[0]?.split(':') ?? [];
    const target = parts.at(-1) ?? '';
    return { published: parts.length > 1 ? (parts.at(-2) ?? '') : '', target };
  });
}

/** Dependency -> condition (the list form means `service_started`). */
function dependsOn(name: string): Record<string, string> {
  const d = service(name).depends_on ?? {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((n) => [n, 'service_started']));
  return Object.fromEntries(Object.entries(d).map(([n, v]) => [n, v.condition ?? 'service_started']));
}

const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : [v].flat());
/** The shell text a one-shot runs: its command (and entrypoint) as Compose reads them. */
const scriptOf = (name: string) =>
  [...asList(service(name).entrypoint), ...asList(service(name).command)].join('\n');

/**
 * Runs a one-shot's script as its container would (Compose's `$$` unescaped, the service's
 * environment set) with the named commands replaced by stubs; returns the stubbed calls in order.
 */
function runOneShot(name: string, stubs: Record<string, string>, expectedStatus = 0): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-compose-'));
  const log = join(dir, 'calls.log');
  writeFileSync(log, '');
  for (const [command, body] of Object.entries(stubs)) {
    const stub = join(dir, command);
    writeFileSync(stub, `#!/bin/sh\necho "${command} $*" >> "${log}"\n${body}\n`);
    chmodSync(stub, 0o755);
  }
  const [shell = '', ...flags] = asList(service(name).entrypoint);
  const script = asList(service(name).command).join('\n').replaceAll('$$', '$');
  const run = spawnSync(shell, [...flags, script], {
    encoding: 'utf8',
    env: { ...env(name), PATH: `${dir}${delimiter}${process.env.PATH ?? ''}` },
    timeout: 10_000,
  });
  expect(run.status, `${name}: ${run.stderr}`).toBe(expectedStatus);
  return readFileSync(log, 'utf8').split('\n').filter(Boolean);
}

/** The tag of an image reference, ignoring a registry port and a digest. */
function tagOf(image: string): string | undefined {
  const withoutDigest = image.split('@')[0] ?? '';
  const lastSegment = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
  const i = lastSegment.indexOf(':');
  return i < 0 ? undefined : lastSegment.slice(i + 1);
}

const SERVER = 'temporal';
/** The containers that run the Temporal server image, one service each. */
const TEMPORAL_SERVICES = Object.entries(services)
  .filter(([, s]) => (s.image ?? '').startsWith('temporalio/server:'))
  .map(([name]) => name);
const clusterConfig = read(SERVER_CONFIG_FILE);
const WORKER = 'arbiter-worker';
const SCHEMA = 'temporal-schema';
const NAMESPACE = 'temporal-namespace';
const ONE_SHOTS = [SCHEMA, NAMESPACE];

describe('docker-compose.yml', () => {
  it('has the database, server, one-shot setup jobs, Web UI and workers', () => {
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining(['postgresql', SERVER, SCHEMA, NAMESPACE, 'temporal-ui', WORKER]),
    );
  });

  it('pins every image to a tag other than latest, and builds the rest', () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.image === undefined) {
        expect(s.build, `${name} has neither image nor build`).toBeDefined();
        continue;
      }
      const tag = tagOf(s.image);
      expect(tag, `${name}: ${s.image} has no tag`).toBeTruthy();
      expect(tag, `${name}: ${s.image}`).not.toBe('latest');
    }
  });

  it('runs the plain Temporal server image, not the deprecated auto-setup one', () => {
    expect(service(SERVER).image).toMatch(/^temporalio\/server:/);
    for (const s of Object.values(services)) expect(s.image ?? '').not.toContain('auto-setup');
  });

  it('sets up the schema with admin tools of the same Temporal version as the server', () => {
    const serverVersion = tagOf(service(SERVER).image ?? '');
    expect(serverVersion).toMatch(/^\d+\.\d+\.\d+$/);
    for (const name of ONE_SHOTS) {
      const image = service(name).image ?? '';
      expect(image).toMatch(/^temporalio\/admin-tools:/);
      // Tags look like 1.29.1 or 1.29.1-tctl-1.18.4-cli-1.5.0: the server version comes first.
      expect(tagOf(image)?.split('-')[0], name).toBe(serverVersion);
    }
  });

  it('publishes Temporal on 7233 and the Web UI on 8080', () => {
    expect(ports(SERVER)).toContainEqual({ published: '7233', target: '7233' });
    expect(ports('temporal-ui')).toContainEqual({ published: '8080', target: '8080' });
  });

  it('points the Web UI, the namespace job and the workers at the temporal service', () => {
    for (const name of ['temporal-ui', NAMESPACE, WORKER]) {
      const [host, port, ...rest] = (env(name).TEMPORAL_ADDRESS ?? '').split(':');
      expect(host, `${name} TEMPORAL_ADDRESS`).toBe(SERVER);
      expect(port, `${name} TEMPORAL_ADDRESS`).toBe('7233');
      expect(rest).toEqual([]);
    }
  });

  it('builds the worker from this repository and runs several replicas of it', () => {
    const w = service(WORKER);
    const context = typeof w.build === 'string' ? w.build : w.build?.context;
    expect(context).toBe('.');
    const dockerfile = typeof w.build === 'object' ? (w.build.dockerfile ?? 'Dockerfile') : 'Dockerfile';
    expect(existsSync(repoUrl(dockerfile))).toBe(true);
    expect(asList(w.command)).toEqual(['worker']);
    expect(w.deploy?.replicas).toBeGreaterThanOrEqual(2);
    // Replicas cannot share a container name or a host port.
    expect(w.container_name).toBeUndefined();
    expect(w.ports ?? []).toEqual([]);
  });

  it('gives the workers their settings, the namespace the one-shot creates', () => {
    const e = env(WORKER);
    expect(e).toMatchObject({
      TEMPORAL_TASK_QUEUE: 'arbiter',
      ARBITER_AGENTS: 'agents.yaml',
      ARBITER_POLICIES: 'policies',
    });
    expect(e.TEMPORAL_NAMESPACE).toBeTruthy();
    expect(env(NAMESPACE).TEMPORAL_NAMESPACE).toBe(e.TEMPORAL_NAMESPACE);
    for (const file of [e.ARBITER_AGENTS, e.ARBITER_POLICIES])
      expect(existsSync(repoUrl(file ?? ''))).toBe(true);
    // `??` in the LLM settings keeps an empty string, so the model must never interpolate to "".
    expect(e.ARBITER_LLM_MODEL).toMatch(/^(\$\{ARBITER_LLM_MODEL:-[^}]+\}|[^$]+)$/);
  });

  it('passes OPENAI_API_KEY from the host environment and never writes a value', () => {
    expect(env(WORKER)).toHaveProperty('OPENAI_API_KEY');
    for (const name of Object.keys(services)) {
      for (const [key, value] of Object.entries(env(name))) {
        if (!/API_KEY|SECRET|TOKEN/.test(key)) continue;
        // Unset (`- KEY`) or exactly `${KEY}` / `${KEY:-}` / `${KEY-}`: nothing else.
        if (value !== undefined)
          expect(value, `${name} ${key}`).toMatch(new RegExp(`^\\$\\{${key}(:?-)?\\}$`));
      }
    }
  });

  it('starts the Temporal services only once PostgreSQL is healthy and the schema job has completed', () => {
    expect(TEMPORAL_SERVICES).toContain(SERVER);
    for (const name of TEMPORAL_SERVICES) {
      expect(dependsOn(name), name).toMatchObject({
        postgresql: 'service_healthy',
        [SCHEMA]: 'service_completed_successfully',
      });
    }
    // `service_healthy` waits forever on a service without a healthcheck.
    expect(service('postgresql').healthcheck?.test).toBeDefined();
    expect(dependsOn(SCHEMA)).toMatchObject({ postgresql: 'service_healthy' });
  });

  it('starts the workers once the namespace exists', () => {
    expect(dependsOn(NAMESPACE)).toHaveProperty(SERVER);
    expect(dependsOn(WORKER)).toMatchObject({ [NAMESPACE]: 'service_completed_successfully' });
    expect(dependsOn(WORKER)).toHaveProperty(SERVER);
  });

  it('gives every Temporal service, the schema job and PostgreSQL the same database and login', () => {
    const db = env('postgresql');
    const tool = env(SCHEMA);
    expect(tool.SQL_PLUGIN).toBe('postgres12');
    expect(tool.SQL_HOST).toBe('postgresql');
    expect(db.POSTGRES_USER).toBeTruthy();
    expect(tool.SQL_USER).toBe(db.POSTGRES_USER);
    expect(db.POSTGRES_PASSWORD).toBeTruthy();
    expect(tool.SQL_PASSWORD).toBe(db.POSTGRES_PASSWORD);
    for (const name of TEMPORAL_SERVICES) {
      const server = env(name);
      expect(server.POSTGRES_SEEDS, name).toBe('postgresql');
      expect(server.POSTGRES_USER, name).toBe(db.POSTGRES_USER);
      expect(server.POSTGRES_PWD, name).toBe(db.POSTGRES_PASSWORD);
      expect(server.DB_PORT ?? '5432', name).toBe(tool.SQL_PORT ?? '5432');
    }
    // The plugin is the server config's, mounted from the repo: the same one the schema tool uses.
    const plugins = [...clusterConfig.matchAll(/pluginName:\s*(\S+)/g)].map((m) => m[1]);
    expect(plugins).toEqual([tool.SQL_PLUGIN, tool.SQL_PLUGIN]);
  });

  it('keeps PostgreSQL data in a declared named volume', () => {
    const mounts = (service('postgresql').volumes ?? []).map((v) =>
      typeof v === 'string' ? v.split(':') : [v.source ?? '', v.target ?? ''],
    );
    const data = mounts.find(([, target]) => target === '/var/lib/postgresql/data');
    expect(data).toBeDefined();
    expect(Object.keys(compose.volumes ?? {})).toContain(data?.[0]);
  });

  it('creates both Temporal databases and applies the versioned schema to each', () => {
    const calls = runOneShot(SCHEMA, { 'temporal-sql-tool': 'exit 0' });
    const dir = '/etc/temporal/schema/postgresql/v12';
    expect(calls).toEqual([
      'temporal-sql-tool --db temporal create-database',
      'temporal-sql-tool --db temporal setup-schema -v 0.0',
      `temporal-sql-tool --db temporal update-schema -d ${dir}/temporal/versioned`,
      'temporal-sql-tool --db temporal_visibility create-database',
      'temporal-sql-tool --db temporal_visibility setup-schema -v 0.0',
      `temporal-sql-tool --db temporal_visibility update-schema -d ${dir}/visibility/versioned`,
    ]);
  });

  it('stops the schema job at the first failing step, so temporal does not start', () => {
    const calls = runOneShot(SCHEMA, { 'temporal-sql-tool': 'exit 1' }, 1);
    expect(calls).toHaveLength(1);
  });

  it("creates the workers' namespace when it is missing, then waits until it is served", () => {
    const ns = env(WORKER).TEMPORAL_NAMESPACE ?? '';
    const calls = runOneShot(NAMESPACE, { temporal: '[ "$2 $3" = "namespace describe" ] && exit 1; exit 0' });
    expect(calls).toEqual([
      'temporal operator cluster health',
      `temporal operator namespace describe --namespace ${ns}`,
      `temporal operator namespace create --namespace ${ns}`,
      `temporal operator search-attribute list --namespace ${ns}`,
    ]);
  });

  it('leaves an existing namespace alone', () => {
    const calls = runOneShot(NAMESPACE, { temporal: 'exit 0' });
    expect(calls.filter((c) => c.includes('namespace create'))).toEqual([]);
    expect(calls).toContain(
      `temporal operator namespace describe --namespace ${env(WORKER).TEMPORAL_NAMESPACE}`,
    );
  });

  it('runs the one-shots once: no restart policy that would rerun a finished job', () => {
    for (const name of ONE_SHOTS) expect(['no', undefined], name).toContain(service(name).restart);
  });

  it('escapes every $ in the one-shot scripts, so Compose does not interpolate them', () => {
    // A single $ is replaced by Compose from the host environment when the file is read.
    for (const name of ONE_SHOTS) expect(scriptOf(name).replaceAll('$$', ''), name).not.toContain('$');
  });
});

// `npm run cluster` (scripts/cluster/) runs the cluster the compose file describes, as processes:
// these hold the two to one server version, one config file and one list of schema steps.
describe('docker-compose.yml and `npm run cluster` are twins', () => {
  /** The env names cluster.yaml reads: all of them, and those it reads with no default. */
  const templateVars = [...clusterConfig.matchAll(/env "(\w+)"/g)].map((m) => m[1] ?? '');
  const requiredVars = [...clusterConfig.matchAll(/\{\{-?\s*env "(\w+)"\s*-?\}\}/g)].map((m) => m[1] ?? '');

  it('run the same Temporal server version: the images of the version the script builds', () => {
    expect(TEMPORAL_SERVICES.length).toBeGreaterThan(0);
    const images = Object.values(services)
      .map((s) => s.image ?? '')
      .filter((image) => /^temporalio\/(server|admin-tools):/.test(image));
    expect(images.length).toBeGreaterThanOrEqual(TEMPORAL_SERVICES.length + ONE_SHOTS.length);
    for (const image of images) expect(tagOf(image), image).toBe(TEMPORAL_SERVER_VERSION);
  });

  it('run the same services, one container each, as the script runs processes', () => {
    const run = TEMPORAL_SERVICES.map((name) => env(name).TEMPORAL_SERVICES);
    expect([...run].sort()).toEqual([...SERVICES].sort());
    expect(env(SERVER).TEMPORAL_SERVICES).toBe('frontend');
  });

  it('mount the config file the script uses, read-only, where the server is told to read it', () => {
    for (const name of TEMPORAL_SERVICES) {
      const target = env(name).TEMPORAL_SERVER_CONFIG_FILE_PATH;
      const mounts = (service(name).volumes ?? []).map((v) =>
        typeof v === 'string' ? v.split(':') : [v.source ?? '', v.target ?? ''],
      );
      expect(mounts, name).toContainEqual([`./${SERVER_CONFIG_FILE}`, target, 'ro']);
    }
  });

  it('apply the same schema steps, in the same order', () => {
    const calls = runOneShot(SCHEMA, { 'temporal-sql-tool': 'exit 0' });
    const steps = schemaSteps(`/etc/temporal/${SCHEMA_SUBDIR}`).map(
      (a) => `temporal-sql-tool ${a.join(' ')}`,
    );
    expect(calls).toEqual(steps);
    expect(env(SCHEMA).SQL_PLUGIN).toBe(SQL_PLUGIN);
  });

  it('give the config every setting it reads without a default', () => {
    expect(requiredVars).toEqual(expect.arrayContaining(['POSTGRES_SEEDS', 'POSTGRES_USER', 'POSTGRES_PWD']));
    const script = serverEnv({ port: 5432, user: 'u', password: 'p' }, {});
    for (const name of requiredVars) {
      for (const twin of TEMPORAL_SERVICES) expect(env(twin), `${twin} ${name}`).toHaveProperty(name);
      expect(script, `npm run cluster: ${name}`).toHaveProperty(name);
    }
  });

  it('let the script set every port the config reads, so its processes never share one', () => {
    const ports = templateVars.filter((name) => name.endsWith('_PORT') && name !== 'DB_PORT');
    expect([...new Set(ports)].sort()).toEqual(Object.values(SERVICE_PORT_VARS).flat().sort());
    const script = serverEnv({ port: 5432, user: 'u', password: 'p' }, {});
    for (const name of ports) expect(script, name).toHaveProperty(name);
  });

  it('keep the history shard count fixed in the config', () => {
    expect(clusterConfig).toMatch(/^\s*numHistoryShards: 16$/m);
  });
});

/** Dockerfile instructions, continuation lines joined and comments dropped. */
function instructions(text: string): { op: string; args: string }[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(current + line);
    current = '';
  }
  if (current.trim()) logical.push(current);
  return logical.map((l) => {
    const [op = '', ...rest] = l.split(/\s+/);
    return { op: op.toUpperCase(), args: rest.join(' ') };
  });
}

/** The words of a shell-form or exec-form (JSON array) argument. */
function words(args: string): string[] {
  if (args.startsWith('[')) {
    const parsed: unknown = JSON.parse(args);
    if (!Array.isArray(parsed) || !parsed.every((w) => typeof w === 'string')) {
      throw new Error(`not an exec-form array: ${args}`);
    }
    return parsed;
  }
  return args.split(/\s+/);
}

/** .dockerignore patterns as matchers of context paths (a pattern also excludes what is under it). */
function ignored(): ((path: string) => boolean)[] {
  return read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('!'))
    .map((pattern) => {
      const p = pattern.replace(/^\//, '').replace(/\/$/, '');
      const glob = p
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replaceAll('*', '[^/]*')
        .replaceAll('?', '[^/]');
      const re = new RegExp(`^${glob}(/.*)?$`);
      return (path: string) => re.test(path);
    });
}

/** The stages of a multi-stage Dockerfile: each FROM starts one, named by `AS name` if given. */
function stagesOf(
  steps: { op: string; args: string }[],
): { name?: string; base: string; steps: typeof steps }[] {
  const stages: { name?: string; base: string; steps: typeof steps }[] = [];
  for (const step of steps) {
    if (step.op === 'FROM') {
      const [base = '', as, name] = step.args.split(/\s+/);
      stages.push({ base, ...(as?.toUpperCase() === 'AS' && name ? { name } : {}), steps: [] });
    } else {
      stages.at(-1)?.steps.push(step);
    }
  }
  return stages;
}

/** The source paths of COPY steps (normalized, no trailing slash), with or without --from. */
function copySources(steps: { op: string; args: string }[], from: 'context' | 'stage'): string[] {
  return steps
    .filter((s) => s.op === 'COPY' && s.args.includes('--from=') === (from === 'stage'))
    .flatMap((s) =>
      words(s.args)
        .filter((w) => !w.startsWith('--'))
        .slice(0, -1)
        .map((w) => posix.normalize(w).replace(/\/$/, '')),
    );
}

describe('Dockerfile', () => {
  const steps = instructions(read('Dockerfile'));
  const all = (op: string) => steps.filter((s) => s.op === op);
  const last = (op: string) => all(op).at(-1);
  const stages = stagesOf(steps);
  const image = stages.at(-1)!;
  const builders = stages.slice(0, -1);
  const inImage = (op: string) => image.steps.filter((s) => s.op === op);

  it('starts every stage from Node 20 on Debian slim, pinned', () => {
    expect(stages.length).toBeGreaterThan(0);
    for (const stage of stages) expect(stage.base).toMatch(/^node:20[.\w-]*-bookworm-slim$/);
  });

  it('installs production dependencies with npm ci in the image, not the setup script', () => {
    const runs = inImage('RUN').map((s) => s.args);
    expect(runs.some((r) => /\bnpm ci\b.*--omit=dev/.test(r))).toBe(true);
    expect(runs.join('\n')).not.toMatch(/\bnpm (ci|install)\b(?!.*--omit=dev)/);
    expect(
      all('RUN')
        .map((s) => s.args)
        .join('\n'),
    ).not.toMatch(/setup\.mjs|npm run setup/);
  });

  it('compiles in a build stage: every workflow bundle variant, from the sources', () => {
    expect(builders.length).toBeGreaterThanOrEqual(1);
    const build = builders.find((b) =>
      b.steps.some((s) => s.op === 'RUN' && /scripts\/build\.mjs/.test(s.args)),
    );
    expect(build, 'a stage that runs scripts/build.mjs').toBeDefined();
    const run = build!.steps.find((s) => s.op === 'RUN' && /scripts\/build\.mjs/.test(s.args))!;
    expect(run.args).toContain('--all-bundles');
    const copied = copySources(build!.steps, 'context');
    for (const input of ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'])
      expect(copied, input).toContain(input);
    expect(copied.some((c) => c === 'scripts' || c === 'scripts/build.mjs')).toBe(true);
    // The compiler is a dev dependency: the build stage installs them.
    const install = build!.steps.find((s) => s.op === 'RUN' && /\bnpm ci\b/.test(s.args));
    expect(install?.args).not.toMatch(/--omit=dev/);
  });

  it('ships the compiled build and no sources, compiler or dev tooling', () => {
    const fromStage = image.steps.filter((s) => s.op === 'COPY' && s.args.includes('--from='));
    const builderNames = builders.map((b) => b.name);
    expect(fromStage.length).toBeGreaterThan(0);
    for (const copy of fromStage) {
      const from = /--from=(\S+)/.exec(copy.args)?.[1];
      expect(builderNames).toContain(from);
    }
    expect(copySources(image.steps, 'stage')).toEqual(['/app/dist']);
    const fromContext = copySources(image.steps, 'context');
    for (const path of [
      'src',
      'test',
      'scripts',
      'bench',
      'chaos',
      'tsconfig.json',
      'tsconfig.build.json',
      '.',
    ])
      expect(fromContext, path).not.toContain(path);
    // What runs at run time is a production dependency; what compiles and runs TypeScript is not.
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    for (const dev of ['tsx', 'typescript', 'vitest'])
      expect(Object.keys(pkg.dependencies)).not.toContain(dev);
  });

  it('runs as a non-root user', () => {
    const user = (last('USER')?.args ?? '').split(':')[0];
    expect(user).toBeTruthy();
    expect(['root', '0']).not.toContain(user);
  });

  it('makes the data dir the workers write to writable by that user', () => {
    const user = (last('USER')?.args ?? '').split(':')[0] ?? '';
    const workdir = last('WORKDIR')?.args ?? '';
    const dataDir = posix.resolve(workdir, env(WORKER).ARBITER_DATA_DIR ?? '.arbiter');
    expect(inImage('RUN').some((s) => s.args.includes(`chown ${user}`) && s.args.includes(dataDir))).toBe(
      true,
    );
    // Compose mounts its named volume exactly there, so the volume starts with that ownership.
    const targets = (service(WORKER).volumes ?? []).map((v) =>
      typeof v === 'string' ? v.split(':')[1] : v.target,
    );
    expect(targets).toContain(dataDir);
  });

  it('runs bin/arbiter.js, a worker by default, and bin/arbiter.js runs the compiled build', () => {
    const entrypoint = words(last('ENTRYPOINT')?.args ?? '');
    expect(entrypoint).toEqual(['node', 'bin/arbiter.js']);
    expect(existsSync(repoUrl('bin/arbiter.js'))).toBe(true);
    expect(words(last('CMD')?.args ?? '')).toEqual(['worker']);
    // dist/ mirrors src/ (tsconfig.build.json), and the launcher imports the compiled CLI from it.
    const build = JSON.parse(read('tsconfig.build.json')) as { compilerOptions: Record<string, unknown> };
    expect(build.compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'dist', noEmit: false });
    expect(read('bin/arbiter.js')).toMatch(/'dist', 'cli', 'main\.js'/);
    expect(existsSync(repoUrl('src/cli/main.ts'))).toBe(true);
    expect(read('bin/arbiter.js')).not.toMatch(/\btsx\b/);
  });

  it('copies only sources that exist and that .dockerignore lets through', () => {
    const excluded = ignored();
    const sources = copySources(steps, 'context');
    expect(sources.length).toBeGreaterThan(0);
    for (const src of sources) {
      expect(existsSync(repoUrl(src)), `COPY ${src}`).toBe(true);
      expect(
        excluded.some((matches) => matches(src)),
        `COPY ${src} is in .dockerignore`,
      ).toBe(false);
    }
  });

  it('copies everything a worker loads at run time into the image', () => {
    const sources = copySources(image.steps, 'context');
    const needed = ['package.json', 'package-lock.json', 'agents.yaml'];
    for (const path of [...needed, 'bin', 'policies', 'config', 'examples']) expect(sources).toContain(path);
  });
});

describe('.dockerignore', () => {
  it('keeps local state and installed dependencies out of the build context', () => {
    const excluded = ignored();
    for (const path of ['node_modules', '.git', '.tools', '.arbiter', 'coverage', 'bench/results']) {
      expect(
        excluded.some((matches) => matches(path)),
        path,
      ).toBe(true);
    }
  });
});
