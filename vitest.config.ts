import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['cases/**/*.test.ts'],
    // Threads and processes run the compiled workers: build them once before any test runs.
    globalSetup: ['cases/support/build.ts'],
    setupFiles: ['cases/support/setup.ts'],
    // Files run three at a time even on two cores: most of a file's time is spent waiting (on
    // children, stale locks, SIGKILLed saves), not computing.
    maxWorkers: 3,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
