// The workflow bundle: the one place that says which compiled workflow code a worker runs and a
// replay checks against. Bundling (webpack, inside bundleWorkflowCode) takes seconds, so the build
// (scripts/build.mjs) prebuilds it into dist/workflow-bundles/, and a worker only reads that file.
//
// A bundle is used only when it was built from exactly the workflow sources this process runs:
// its manifest keeps a hash of the sandbox folders (workflows/ and shared/, all that workflow code
// may import) for each tree it was built from, src/ and dist/. Anything else (sources edited since
// the build, a variant the build did not make) is bundled here once and cached under the data dir,
// keyed by that hash.
//
// Variants: the OpenTelemetry workflow interceptors are not inert (they add a span per workflow and
// activity and a trace header to every scheduled activity, in the history), so a worker without
// tracing must not run them; and the failure converter that encrypts failure messages has to be
// inside the bundle for workflow-side failures, but would hide those messages behind "Encoded
// failure" on a deployment without payload encryption. So there are four bundles, each built only
// for the configuration that asks for it.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/settings.js';
import { tracesExporterFromEnv, tracingWorkflowModules } from '../observability/tracing.js';
import { codecFromEnv } from '../security/codec.js';

export interface BundleVariant {
  /** With the OpenTelemetry workflow interceptors (OTEL_* tracing configured). */
  tracing: boolean;
  /** With the failure converter that encodes failure messages (ARBITER_CODEC_KEYS set). */
  encodedFailures: boolean;
}

export interface BundleOptions extends Partial<BundleVariant> {
  /** Where bundles built on demand are kept; default `<ARBITER_DATA_DIR>/workflow-bundles`. */
  cacheDir?: string;
  /** Where prebuilt bundles are looked for; default dist/workflow-bundles. */
  prebuiltDir?: string;
  /** Told when a bundle has to be built here (it takes seconds). */
  log?: (line: string) => void;
}

interface Manifest {
  variant: BundleVariant;
  /** Source hash per tree the bundle stands for: `src` (TypeScript) and `dist` (compiled). */
  hashes: Record<string, string>;
}

/** The code tree this module runs from: src/ under tsx (tests, bench), dist/ once compiled. */
const tree = dirname(dirname(fileURLToPath(import.meta.url)));
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const repoRoot = join(tree, '..');
/** The workflow entry point of the running tree. */
export const workflowsPath = join(tree, 'workflows', `index${ext}`);
/** Shared by every workflow of a worker thread instead of loaded per workflow (see the file). */
export const preloadedPath = join(tree, 'workflows', `preloaded${ext}`);
/** Where the build puts the prebuilt bundles and their manifests. */
export const prebuiltDir = join(repoRoot, 'dist', 'workflow-bundles');
/** What workflow code may import (eslint's sandbox rule): the sources a bundle is made of. */
const SANDBOX_DIRS = ['workflows', 'shared'];
const require = createRequire(import.meta.url);

/** The variant a worker configured by this environment runs. */
export function variantFromEnv(env: NodeJS.ProcessEnv = process.env): BundleVariant {
  return { tracing: tracesExporterFromEnv(env) !== 'none', encodedFailures: codecFromEnv(env) !== undefined };
}

export function bundleName(v: BundleVariant): string {
  return `workflows${v.tracing ? '-tracing' : ''}${v.encodedFailures ? '-encoded-failures' : ''}`;
}

export const ALL_VARIANTS: BundleVariant[] = [false, true].flatMap((tracing) =>
  [false, true].map((encodedFailures) => ({ tracing, encodedFailures })),
);

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|js|mjs|cjs)$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .sort();
}

function packageVersion(name: string): string {
  // The package's entry resolves through its exports; its package.json sits above lib/.
  let dir = dirname(require.resolve(name));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * A hash of everything that decides the bundle's content for `variant` built from `codeTree`: the
 * sandbox folders' files, the failure converter when it is included, and the SDK versions.
 */
export function sourceHash(variant: BundleVariant, codeTree: string = tree): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ variant, workflow: packageVersion('@temporalio/workflow') }));
  if (variant.tracing) h.update(packageVersion('@temporalio/interceptors-opentelemetry'));
  const files = SANDBOX_DIRS.flatMap((d) => filesUnder(join(codeTree, d)));
  if (variant.encodedFailures)
    files.push(...filesUnder(join(codeTree, 'security')).filter(isFailureConverter));
  for (const file of files) {
    h.update(relative(codeTree, file));
    h.update('\0');
    h.update(readFileSync(file));
  }
  return h.digest('hex');
}

const isFailureConverter = (f: string) => /failureConverter\.(ts|js)$/.test(f);

/** Bundles the running tree's workflow code for `variant` (seconds: webpack). */
async function bundle(variant: BundleVariant): Promise<string> {
  const [{ bundleWorkflowCode, DefaultLogger }, { failureConverterPath }] = await Promise.all([
    import('@temporalio/worker'),
    import('../security/codec.js'),
  ]);
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    preloadModules: [preloadedPath],
    workflowInterceptorModules: tracingWorkflowModules(variant.tracing),
    ...(variant.encodedFailures ? { failureConverterPath } : {}),
    logger: new DefaultLogger('WARN'),
  });
  return code;
}

/** Writes through a temporary name, so a reader never sees half a bundle. */
function writeAtomically(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, text);
  renameSync(partial, file);
}

/**
 * The prebuilt bundle for `variant` when its manifest says it was built from these sources; else
 * why not: the build did not make this variant, or the sources changed since.
 */
function prebuilt(variant: BundleVariant, dir: string): { codePath: string } | { missing: string } {
  const name = bundleName(variant);
  const codePath = join(dir, `${name}.js`);
  const manifestPath = join(dir, `${name}.json`);
  if (!existsSync(codePath) || !existsSync(manifestPath)) return { missing: 'the build did not prebuild it' };
  try {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    if (manifest.hashes[basename(tree)] === sourceHash(variant)) return { codePath };
  } catch {
    // An unreadable manifest is a bundle nobody can vouch for.
  }
  return { missing: 'the workflow sources changed since the build' };
}

/** Keeps the newest few cached bundles of a variant: each edit of the sources makes a new one. */
function prune(cacheDir: string, name: string, keep: string): void {
  const mine = readdirSync(cacheDir)
    .filter((f) => f.startsWith(`${name}-`) && f.endsWith('.js') && join(cacheDir, f) !== keep)
    .map((f) => ({ file: join(cacheDir, f), at: statSync(join(cacheDir, f)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const old of mine.slice(2)) rmSync(old.file, { force: true });
}

const inProcess = new Map<string, Promise<{ codePath: string }>>();

/**
 * The workflow bundle for this process's configuration (or the variant asked for): the prebuilt
 * one when it matches the sources, else one built now and cached under the data dir. For
 * `Worker.create({ workflowBundle })` and `Worker.runReplayHistories({ workflowBundle })`.
 */
export async function workflowBundle(opts: BundleOptions = {}): Promise<{ codePath: string }> {
  const fromEnv =
    opts.tracing === undefined || opts.encodedFailures === undefined ? variantFromEnv() : undefined;
  const variant: BundleVariant = {
    tracing: opts.tracing ?? fromEnv!.tracing,
    encodedFailures: opts.encodedFailures ?? fromEnv!.encodedFailures,
  };
  const ready = prebuilt(variant, opts.prebuiltDir ?? prebuiltDir);
  if ('codePath' in ready) return ready;
  const name = bundleName(variant);
  const hash = sourceHash(variant);
  const cacheDir = opts.cacheDir ?? join(loadConfig().dataDir, 'workflow-bundles');
  const codePath = join(cacheDir, `${name}-${hash.slice(0, 16)}.js`);
  const key = codePath;
  let pending = inProcess.get(key);
  if (!pending) {
    pending = (async () => {
      if (!existsSync(codePath)) {
        opts.log?.(`building the workflow bundle ${name} (${ready.missing}; cached in ${cacheDir})`);
        writeAtomically(codePath, await bundle(variant));
        prune(cacheDir, name, codePath);
      }
      return { codePath };
    })();
    inProcess.set(key, pending);
    pending.catch(() => inProcess.delete(key));
  }
  return pending;
}

/**
 * Builds the prebuilt bundles into dist/workflow-bundles/ with their manifests (the build step,
 * run from the compiled tree). `srcTree` is the TypeScript tree the compiled one came from, so a
 * process running the sources through tsx (tests, bench) can use the prebuilt bundles too.
 */
export async function prebuildWorkflowBundles(
  variants: BundleVariant[],
  srcTree: string = join(repoRoot, 'src'),
): Promise<string[]> {
  const written: string[] = [];
  for (const variant of variants) {
    const name = bundleName(variant);
    const code = await bundle(variant);
    const hashes: Record<string, string> = { [basename(tree)]: sourceHash(variant) };
    if (existsSync(srcTree) && srcTree !== tree) hashes[basename(srcTree)] = sourceHash(variant, srcTree);
    writeAtomically(join(prebuiltDir, `${name}.js`), code);
    const manifest: Manifest = { variant, hashes };
    writeAtomically(join(prebuiltDir, `${name}.json`), `${JSON.stringify(manifest, null, 2)}\n`);
    written.push(join(prebuiltDir, `${name}.js`));
  }
  return written;
}
