#!/usr/bin/env node
// The compiled build: `node scripts/build.mjs [--if-stale] [--all-bundles]` (npm run build).
//
// 1. tsc (tsconfig.build.json) compiles src/ into dist/, same layout, ES modules;
// 2. the workflow bundle is prebuilt into dist/workflow-bundles/ (runtime/workflowBundle.ts), so a
//    worker starts without running webpack: the default variant, or all four with --all-bundles
//    (the Docker image: tracing and payload encryption are configured at run time there);
// 3. dist/build.json is written last, with a hash of every input, so a build that failed halfway
//    is never taken for a finished one.
//
// --if-stale builds only when that hash differs from the last build's. Plain Node, no dependencies:
// scripts/setup.mjs imports it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const defaultRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BUILD_INFO = 'build.json';
/** Besides src/: what else decides the output (compiler settings, dependency versions, this script). */
const OTHER_INPUTS = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json', 'scripts/build.mjs'];

function filesUnder(dir) {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .sort();
}

/** A hash of every build input's path and content (about 1 MB: milliseconds). */
export function inputsHash(root = defaultRoot, bundles = 'default') {
  const h = createHash('sha256');
  h.update(`bundles:${bundles}\0`);
  const files = [...filesUnder(join(root, 'src')), ...OTHER_INPUTS.map((f) => join(root, f))];
  for (const file of files) {
    h.update(`${relative(root, file)}\0`);
    if (existsSync(file)) h.update(readFileSync(file));
  }
  return h.digest('hex');
}

/** The last finished build's record, or undefined. */
export function lastBuild(root = defaultRoot) {
  const file = join(root, 'dist', BUILD_INFO);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Compiles and bundles; returns what it built. Throws with the compiler's output on an error. */
export async function build(root = defaultRoot, { allBundles = false, log = () => {} } = {}) {
  const started = Date.now();
  const bundles = allBundles ? 'all' : 'default';
  const hash = inputsHash(root, bundles);
  // A clean tree: a deleted or renamed source leaves nothing behind.
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  log('compiling src/ into dist/ (tsc -p tsconfig.build.json)');
  const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
    cwd: root,
    encoding: 'utf8',
  });
  if (compiled.status !== 0) {
    throw new Error(`tsc failed (exit ${compiled.status}):\n${(compiled.stdout + compiled.stderr).trim()}`);
  }
  log(`prebuilding the workflow bundle${allBundles ? 's (all variants)' : ''} into dist/workflow-bundles/`);
  const wb = await import(pathToFileURL(join(root, 'dist', 'runtime', 'workflowBundle.js')).href);
  const variants = allBundles ? wb.ALL_VARIANTS : [{ tracing: false, encodedFailures: false }];
  const written = await wb.prebuildWorkflowBundles(variants, join(root, 'src'));
  const info = {
    inputsHash: hash,
    bundles,
    builtAt: new Date().toISOString(),
    seconds: (Date.now() - started) / 1000,
    workflowBundles: written.map((f) => relative(root, f)),
  };
  writeFileSync(join(root, 'dist', BUILD_INFO), `${JSON.stringify(info, null, 2)}\n`);
  log(`built dist/ in ${info.seconds.toFixed(1)} s`);
  return info;
}

/**
 * Builds when the inputs changed since the last build (or there is none). When they did not, the
 * record's time is refreshed: bin/arbiter.js compares file times to tell a stale build, and a
 * checkout that rewrote files with the same content must not look stale to it.
 */
export async function buildIfStale(root = defaultRoot, { allBundles = false, log = () => {} } = {}) {
  const last = lastBuild(root);
  const wanted = allBundles ? 'all' : (last?.bundles ?? 'default');
  if (last && last.inputsHash === inputsHash(root, wanted)) {
    const now = new Date();
    utimesSync(join(root, 'dist', BUILD_INFO), now, now);
    return undefined;
  }
  return build(root, { allBundles: wanted === 'all', log });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const allBundles = process.argv.includes('--all-bundles');
  const log = (line) => process.stderr.write(`[build] ${line}\n`);
  const run = process.argv.includes('--if-stale') ? buildIfStale : build;
  run(defaultRoot, { allBundles, log }).then(
    (info) => {
      if (!info) log('dist/ is up to date');
    },
    (err) => {
      process.stderr.write(`[build] ${err.message}\n`);
      process.exit(1);
    },
  );
}
