// What starting `arbiter` costs: the command runs the compiled build, a checkout without one is told
// how to make it, and the quick commands load neither the local model runtime, Cedar,
// OpenTelemetry, Prometheus nor the Temporal worker (seen in a load trace of the real process).
// How fast that is, is measured by `npm run bench:cli`, never here.
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/settings.js';
import { arbiter, hasStackTrace, type CliResult } from '../support/cli.js';
import { repoFile, testConfig, withWorker } from '../support/temporal.js';

/** Packages only `worker`, `dev`, `demo` (and `check` of a policy folder, for Cedar) may load. */
const HEAVY = [
  'node-llama-cpp',
  '@cedar-policy/cedar-wasm',
  '@opentelemetry/',
  'prom-client',
  '@temporalio/worker',
  '@temporalio/core-bridge',
  'webpack',
];

let config: Config;
let env: Record<string, string>;
/** A contract submitted and finished through the CLI, for the read commands to read. */
const id = `startup-${Date.now().toString(36)}`;
let submitted: Traced;

interface Traced extends CliResult {
  /** Every file the process loaded (ES modules resolved, CommonJS modules required). */
  files: string[];
  /** The npm packages among them. */
  packages: string[];
}

/** Runs `arbiter ARGS` with scripts/load-trace.mjs preloaded. */
async function traced(args: string[]): Promise<Traced> {
  const trace = join(mkdtempSync(join(tmpdir(), 'arbiter-trace-')), 'trace.txt');
  const result = await arbiter(args, {
    ...env,
    ARBITER_LOAD_TRACE: trace,
    NODE_OPTIONS: `--import=${repoFile('scripts/load-trace.mjs')}`,
  });
  const files = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
  const packages = new Set<string>();
  for (const line of files) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(line);
    if (m?.[1]) packages.add(m[1]);
  }
  return { ...result, files, packages: [...packages].sort() };
}

const heavyIn = (packages: string[]) => packages.filter((p) => HEAVY.some((h) => p.startsWith(h)));

beforeAll(async () => {
  config = testConfig();
  env = {
    TEMPORAL_ADDRESS: config.address!,
    TEMPORAL_TASK_QUEUE: config.taskQueue,
    ARBITER_DATA_DIR: config.dataDir,
    ARBITER_METRICS_PORT: 'off',
  };
  const example = repoFile('examples/contracts/analytics-dashboard.yaml');
  submitted = await withWorker(config, () => traced(['submit', '--file', example, '--id', id, '--wait']));
});

describe('arbiter startup', () => {
  it('submit --wait runs the contract and loads none of the heavy runtimes', () => {
    expect(submitted.code, submitted.stderr).toBe(0);
    expect(heavyIn(submitted.packages)).toEqual([]);
  });

  it.each([
    [['--help'], 0, /Usage: arbiter/],
    [['status', '--help'], 0, /Usage: arbiter status/],
    [['check', repoFile('examples/contracts/analytics-dashboard.yaml')], 0, /valid contract file/],
    [['check', repoFile('agents.yaml')], 0, /valid agents file/],
    [['check', repoFile('examples/plans/social-analytics.yaml')], 0, /valid plan file/],
    [['status', id], 0, /SUCCEEDED/],
    [['reviews'], 0, /nothing waits for review/],
    // A finished contract: the answer is refused at once, after reading it from the server.
    [['approve', id, '--as', 'alice'], 2, /finished|not waiting|no review/i],
  ])('arbiter %j loads none of the heavy runtimes', async (args, code, shows) => {
    const r = await traced(args);
    expect(r.code, r.stderr).toBe(code);
    expect(r.stdout + r.stderr).toMatch(shows);
    expect(hasStackTrace(r.stderr)).toBe(false);
    expect(heavyIn(r.packages)).toEqual([]);
  });

  it('loads only commander for help, and runs the compiled build', async () => {
    const r = await traced(['--help']);
    expect(r.packages).toEqual(['commander']);
    expect(r.files.some((f) => f.endsWith('/dist/cli/main.js'))).toBe(true);
    expect(r.files.some((f) => f.endsWith('.ts'))).toBe(false);
  });

  it('loads Cedar when check is given a policy folder (the trace sees what is loaded)', async () => {
    const r = await traced(['check', repoFile('policies')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ok: .* valid policies/);
    expect(r.packages).toContain('@cedar-policy/cedar-wasm');
  });
});

/** `node <dir>/bin/arbiter.js ARGS` for a launcher copied into a scratch checkout. */
function runCopy(dir: string, args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(dir, 'bin', 'arbiter.js'), ...args], { cwd: dir });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

function scratchCheckout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-checkout-'));
  mkdirSync(join(dir, 'bin'));
  copyFileSync(repoFile('bin/arbiter.js'), join(dir, 'bin', 'arbiter.js'));
  return dir;
}

describe('a checkout and its build', () => {
  it('without a build, says how to make one: no stack trace', async () => {
    const dir = scratchCheckout();
    const r = await runCopy(dir, ['status', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no compiled build/);
    expect(r.stderr).toMatch(/npm run setup/);
    expect(hasStackTrace(r.stderr)).toBe(false);
  });

  it('names a source file changed after the build, and runs the previous build', async () => {
    const dir = scratchCheckout();
    symlinkSync(repoFile('dist'), join(dir, 'dist'));
    mkdirSync(join(dir, 'src', 'cli'), { recursive: true });
    const edited = join(dir, 'src', 'cli', 'main.ts');
    writeFileSync(edited, '// edited\n');
    const later = new Date(Date.now() + 60_000);
    utimesSync(edited, later, later);
    const r = await runCopy(dir, ['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`src/cli/main.ts changed after the last build`);
    expect(r.stderr).toContain('npm run build');
    expect(r.stdout).toContain('Usage: arbiter');
  });

  it('says nothing when the build is current', async () => {
    const r = await arbiter(['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
});
