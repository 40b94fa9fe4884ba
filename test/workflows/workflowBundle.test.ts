// The workflow bundle a worker runs (src/runtime/workflowBundle.ts): the prebuilt one when it was
// built from the sources this process runs, else one bundled once and cached; each configuration
// (tracing, encrypted failures) gets the bundle made for it.
import {
  appendFileSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it, vi } from 'vitest';
import {
  bundleName,
  prebuiltDir,
  sourceHash,
  variantFromEnv,
  workflowBundle,
  type BundleVariant,
} from '../../src/runtime/workflowBundle.js';
import { repoFile } from '../support/temporal.js';

const PLAIN: BundleVariant = { tracing: false, encodedFailures: false };
const scratch = (name: string) => mkdtempSync(join(tmpdir(), `arbiter-${name}-`));
/** Bundling runs webpack: give it room on a busy 2-core machine. */
const BUNDLING = 600_000;

describe('workflowBundle', () => {
  it('returns the prebuilt bundle when it was built from these sources, the one the tests share', async () => {
    const b = await workflowBundle(PLAIN);
    expect(b.codePath).toBe(join(prebuiltDir, 'workflows.js'));
    expect(b.codePath).toBe(inject('workflowBundlePath'));
    // Built without tracing: no OpenTelemetry interceptors run in a worker that does not trace.
    expect(readFileSync(b.codePath, 'utf8')).not.toContain('OpenTelemetryInboundInterceptor');
  });

  it(
    'bundles a variant it has no prebuilt bundle for once, caches it, and a new process reuses it',
    async () => {
      const cacheDir = scratch('bundles');
      const noPrebuilt = scratch('no-prebuilt');
      const lines: string[] = [];
      const opts = { tracing: true, encodedFailures: false, cacheDir, prebuiltDir: noPrebuilt };
      const first = await workflowBundle({ ...opts, log: (l) => lines.push(l) });
      expect(first.codePath.startsWith(cacheDir)).toBe(true);
      expect(lines.join('\n')).toContain(
        'building the workflow bundle workflows-tracing (the build did not prebuild it',
      );
      expect(readFileSync(first.codePath, 'utf8')).toContain('OpenTelemetryInboundInterceptor');
      const builtAt = statSync(first.codePath).mtimeMs;

      // Fresh module state, as in another process: the cached file is found, nothing is rebuilt.
      vi.resetModules();
      const again = await import('../../src/runtime/workflowBundle.js');
      const later: string[] = [];
      const second = await again.workflowBundle({ ...opts, log: (l) => later.push(l) });
      expect(second.codePath).toBe(first.codePath);
      expect(statSync(second.codePath).mtimeMs).toBe(builtAt);
      expect(later).toEqual([]);
    },
    BUNDLING,
  );

  it(
    'does not run a prebuilt bundle made from other workflow sources: it bundles these',
    async () => {
      const stale = scratch('stale-prebuilt');
      copyFileSync(join(prebuiltDir, 'workflows.js'), join(stale, 'workflows.js'));
      const manifest = { variant: PLAIN, hashes: { src: 'f'.repeat(64), dist: 'f'.repeat(64) } };
      writeFileSync(join(stale, 'workflows.json'), JSON.stringify(manifest));
      const cacheDir = scratch('bundles');
      const lines: string[] = [];
      const b = await workflowBundle({ ...PLAIN, prebuiltDir: stale, cacheDir, log: (l) => lines.push(l) });
      expect(b.codePath.startsWith(cacheDir)).toBe(true);
      expect(lines.join('\n')).toContain('the workflow sources changed since the build');
    },
    BUNDLING,
  );

  it(
    'puts the failure converter in the bundle of an encrypted deployment only',
    async () => {
      const encoded = await workflowBundle({
        tracing: false,
        encodedFailures: true,
        cacheDir: scratch('bundles'),
        prebuiltDir: scratch('no-prebuilt'),
      });
      expect(encoded.codePath).toContain(bundleName({ tracing: false, encodedFailures: true }));
      const converterModule = /security\/failureConverter\.(ts|js)/;
      expect(readFileSync(encoded.codePath, 'utf8')).toMatch(converterModule);
      expect(readFileSync(join(prebuiltDir, 'workflows.js'), 'utf8')).not.toMatch(converterModule);
    },
    BUNDLING,
  );

  it('picks the variant from the environment a worker runs in', () => {
    expect(variantFromEnv({})).toEqual(PLAIN);
    expect(variantFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toEqual({
      tracing: true,
      encodedFailures: false,
    });
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(variantFromEnv({ ARBITER_CODEC_KEYS: `k1:${key}` })).toEqual({
      tracing: false,
      encodedFailures: true,
    });
  });
});

describe('which sources a bundle stands for', () => {
  /** A copy of the sandbox folders, as a tree of its own. */
  function treeCopy(): string {
    const tree = scratch('tree');
    for (const dir of ['workflows', 'shared'])
      cpSync(repoFile(`src/${dir}`), join(tree, dir), { recursive: true });
    return tree;
  }

  it('is their content: a file rewritten unchanged keeps the hash, an edit or a new file changes it', () => {
    const tree = treeCopy();
    const before = sourceHash(PLAIN, tree);
    expect(sourceHash(PLAIN, repoFile('src'))).toBe(before);

    const file = join(tree, 'workflows', 'index.ts');
    const later = new Date(Date.now() + 60_000);
    writeFileSync(file, readFileSync(file));
    utimesSync(file, later, later);
    expect(sourceHash(PLAIN, tree)).toBe(before);

    appendFileSync(file, '\n// an edit\n');
    const edited = sourceHash(PLAIN, tree);
    expect(edited).not.toBe(before);

    writeFileSync(join(tree, 'shared', 'added.ts'), 'export const added = 1;\n');
    expect(sourceHash(PLAIN, tree)).not.toBe(edited);
  });

  it('differs per variant', () => {
    const hashes = new Set(
      [PLAIN, { tracing: true, encodedFailures: false }, { tracing: false, encodedFailures: true }].map((v) =>
        sourceHash(v),
      ),
    );
    expect(hashes.size).toBe(3);
  });

  it('is recorded by the build for the sources and for the compiled tree', () => {
    const manifest = JSON.parse(readFileSync(join(prebuiltDir, 'workflows.json'), 'utf8')) as {
      hashes: Record<string, string>;
    };
    expect(manifest.hashes.src).toBe(sourceHash(PLAIN, repoFile('src')));
    expect(manifest.hashes.dist).toBe(sourceHash(PLAIN, repoFile('dist')));
    expect(existsSync(join(prebuiltDir, 'workflows.js'))).toBe(true);
  });
});
