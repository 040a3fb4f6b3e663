import { basename } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * About how long each file takes within the suite on an idle 2-core machine, s (measured with
 * `npm test`). Files start longest first, so that the short ones fill the end; vitest's own order
 * needs a cache of earlier runs, which a fresh clone (CI) does not have. A file not listed counts 5 s.
 */
const SECONDS: Record<string, number> = {
  audit: 115,
  explore: 77,
  distributed: 75,
  verdicts: 72,
  cli: 57,
  faults: 54,
  package: 47,
  workload: 35,
  powerloss: 32,
  determinism: 29,
  crashpoints: 26,
  orphans: 25,
  fuzz: 25,
  period: 21,
  stress: 11,
  writes: 11,
};

const seconds = (file: TestSpecification): number => SECONDS[basename(file.moduleId, '.test.ts')] ?? 5;

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return [...files].sort((a, b) => seconds(b) - seconds(a));
  }
}

export default defineConfig({
  test: {
    include: ['cases/**/*.test.ts'],
    // Threads and processes run the compiled workers: build them once before any test runs.
    globalSetup: ['cases/support/build.ts'],
    setupFiles: ['cases/support/setup.ts'],
    // Files run three at a time even on two cores: most of a file's time is spent waiting (on
    // children, stale locks, SIGKILLed saves), not computing.
    maxWorkers: 3,
    sequence: { sequencer: LongestFirst },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
