import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Files in the usual order, the cluster suite (test/cluster) last: it needs the Temporal server
 * build that `npm test` starts in the background, which then has every other file's run to finish.
 */
class ClusterSuiteLast extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const cluster = (f: TestSpecification) => /[\\/]test[\\/]cluster[\\/]/.test(f.moduleId);
    return [...sorted.filter((f) => !cluster(f)), ...sorted.filter(cluster)];
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The Temporal core bridge is a native addon: separate processes, not worker threads.
    pool: 'forks',
    globalSetup: ['test/support/globalSetup.ts'],
    sequence: { sequencer: ClusterSuiteLast },
    // Generous: CLI tests start many processes, and CI machines are small; no test is timed.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
