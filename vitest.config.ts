import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The Temporal core bridge is a native addon: separate processes, not worker threads.
    pool: 'forks',
    globalSetup: ['test/support/globalSetup.ts'],
    // Generous: CLI tests start many processes, and CI machines are small; no test is timed.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
