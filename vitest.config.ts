import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['cases/**/*.test.ts'],
    // Threads and processes run the compiled workers: build them once before any case runs.
    globalSetup: ['cases/support/build.ts'],
    setupFiles: ['cases/support/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
