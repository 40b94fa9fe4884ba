// The workflow code as one bundle, for the worker and for replaying histories in-process (`arbiter
// audit` with no worker up). ARBITER_WORKFLOW_BUNDLE names a prebuilt one (the test setup builds
// one for the whole run); otherwise it is built from the sources once and kept in the OS temp dir,
// keyed by a hash of the sources, so the next command reuses it.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
/** What the workflow bundle is built from: the workflows and the shared vocabulary they import. */
const SOURCES = ['../workflows', '../shared'].map((d) => fileURLToPath(new URL(d, import.meta.url)));

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? filesUnder(path) : [path];
    });
}

function sourceHash(): string {
  const hash = createHash('sha256');
  for (const file of SOURCES.flatMap(filesUnder)) hash.update(file).update(readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

let built: Promise<{ codePath: string }> | undefined;

/** A bundle of this checkout's workflow code (built at most once per process and source version). */
export function workflowBundle(): Promise<{ codePath: string }> {
  const given = process.env.ARBITER_WORKFLOW_BUNDLE;
  if (given && existsSync(given)) return Promise.resolve({ codePath: given });
  built ??= (async () => {
    const codePath = join(tmpdir(), `arbiter-workflows-${sourceHash()}.js`);
    if (existsSync(codePath)) return { codePath };
    const { bundleWorkflowCode, DefaultLogger } = await import('@temporalio/worker');
    const { code } = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
    // Written whole, then renamed: a concurrent reader never sees half a bundle.
    const partial = `${codePath}.${process.pid}.partial`;
    writeFileSync(partial, code);
    renameSync(partial, codePath);
    return { codePath };
  })();
  return built;
}
