import { expect } from 'vitest';
import type { CaseResult } from '../../lib/index.js';
import { formatVector, type Outcome } from '../../lib/index.js';

interface ContendMatchers<R = unknown> {
  /** The exact outcome vector, worker by worker. */
  toHaveOutcomes(expected: readonly Outcome[]): R;
  /** Some read found another worker's content, a torn file or none. */
  toShowRace(): R;
  /** Every read found its own write. */
  toBeRaceFree(): R;
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Matchers<T = any> extends ContendMatchers<T> {}
}

const describeResult = (r: CaseResult): string =>
  `observed ${formatVector(r.outcomes)} (reads: ${r.reads.map((x) => `${x.worker}:${x.outcome}${x.by ? `←${x.by}` : ''}`).join(' ')})\nreplay:\n${r.replay}`;

expect.extend({
  toHaveOutcomes(received: CaseResult, expected: readonly Outcome[]) {
    const pass = received.outcomes.length === expected.length && received.outcomes.every((o, i) => o === expected[i]);
    return {
      pass,
      message: () => `expected outcomes ${this.isNot ? 'not ' : ''}${formatVector(expected)}\n${describeResult(received)}`,
      actual: received.outcomes,
      expected,
    };
  },
  toShowRace(received: CaseResult) {
    return {
      pass: received.race,
      message: () => `expected ${this.isNot ? 'no ' : ''}race\n${describeResult(received)}`,
    };
  },
  toBeRaceFree(received: CaseResult) {
    return {
      pass: received.outcomes.length > 0 && !received.race,
      message: () => `expected ${this.isNot ? 'a race' : 'every read intact'}\n${describeResult(received)}`,
    };
  },
});
