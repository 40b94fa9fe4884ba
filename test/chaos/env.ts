// The chaos cases (chaos/cases/*.ts) against the suite's shared dev server (or, with `address`, the
// cluster suite's cluster). A case's log is kept and shown only when it fails, so a red test says
// what the case did before it broke.
import { afterEach, inject } from 'vitest';
import { killAllStartedWorkers, type CaseReport, type ChaosEnv } from '../../chaos/cases/harness.js';

afterEach(async () => {
  await killAllStartedWorkers();
});

export async function runCase(
  fn: (env: ChaosEnv) => Promise<CaseReport>,
  opts: { inProcessWorkers?: boolean; address?: string } = {},
): Promise<CaseReport> {
  const lines: string[] = [];
  const env: ChaosEnv = {
    // A case whose fault is the server itself brings its own (`address`).
    address: opts.address ?? inject('temporalAddress'),
    log: (line) => lines.push(line),
    ...(opts.inProcessWorkers ? { workflowBundle: { codePath: inject('workflowBundlePath') } } : {}),
  };
  try {
    return await fn(env);
  } catch (err) {
    (err as Error).message += `\n--- what the case did:\n${lines.join('\n')}`;
    throw err;
  }
}
