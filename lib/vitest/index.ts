/// <reference types="node" preserve="true" />
/**
 * `contend/vitest`: matchers for a case's result, and the clean-up of contend's warm threads and
 * processes after a test file. Importing it adds the matchers to vitest's `expect`:
 *
 *   import { closePoolsAfterAll } from 'contend/vitest';
 *   closePoolsAfterAll();
 *   expect(await runCase({ kind: 'process', lock: 'none' })).toShowRace();
 */
import { afterAll, expect } from 'vitest';
import { closePools } from '../case/kinds/index.js';
import { formatVector, type Outcome } from '../case/outcome.js';
import type { CaseResult } from '../case/run-case.js';
import { counted } from '../support/counted.js';
import type { ExploreResult } from '../explore/explore.js';

export interface ContendMatchers<R = unknown> {
  /** The exact outcome vector, worker by worker. */
  toHaveOutcomes(expected: readonly Outcome[]): R;
  /** Some read found another worker's content, a torn file or none. */
  toShowRace(): R;
  /** Every read found its own write. */
  toBeRaceFree(): R;
  /**
   * An exploration (`explore()` of contend/explore) met no forbidden outcome. Its failure message
   * is the outcome table, the shrunk schedule's timeline and the replay literal.
   */
  toHaveNoForbiddenOutcome(): R;
}

declare module 'vitest' {
  // The type parameter is vitest's own declaration, which this one has to match.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-explicit-any
  interface Matchers<T = any> extends ContendMatchers<T> {}
}

// What a failure shows: the vector, each read with whose content it found, and the replay literal.
const describeResult = (r: CaseResult): string =>
  `observed ${formatVector(r.outcomes)} (reads: ${r.reads.map((x) => `${x.worker}:${x.outcome}${x.by ? `←${x.by}` : ''}`).join(' ')})\nreplay:\n${r.replay}`;

function isCaseResult(value: unknown): value is CaseResult {
  return typeof value === 'object' && value !== null && Array.isArray((value as CaseResult).outcomes) && Array.isArray((value as CaseResult).reads);
}

// A matcher handed something else (a promise not awaited, most often) says so, rather than failing on a property.
function notACase(received: unknown): { pass: false; message: () => string } {
  const what = received instanceof Promise ? 'a promise (await runCase(...) first)' : typeof received;
  return { pass: false, message: () => `expected the result of runCase(), got ${what}` };
}

function isExploreResult(value: unknown): value is ExploreResult {
  return typeof value === 'object' && value !== null && Array.isArray((value as ExploreResult).outcomes) && typeof (value as ExploreResult).schedules === 'number';
}

const describeExploration = (r: ExploreResult): string =>
  [
    `${r.subject}, ${counted(r.workers, `${r.kind} actor`)}, ${counted(r.schedules, 'schedule')} (${r.search}${r.exhaustive && r.search !== 'replay' ? ', all within the bound' : ''}):`,
    ...r.outcomes.map((o) => `  ${String(o.count).padStart(7)}  ${o.grade.padEnd(11)}  ${o.outcome}`),
    ...(r.failure ? [r.search === 'replay' ? `forbidden, with ${counted(r.failure.preemptions, 'preemption')}:` : `first forbidden, shrunk to ${counted(r.failure.preemptions, 'preemption')}:`, r.failure.timeline, 'replay:', r.failure.replay] : []),
  ].join('\n');

expect.extend({
  toHaveNoForbiddenOutcome(received: unknown) {
    if (!isExploreResult(received)) {
      const what = received instanceof Promise ? 'a promise (await explore(...) first)' : typeof received;
      return { pass: false, message: () => `expected the result of explore(), got ${what}` };
    }
    return {
      pass: received.verdict === 'pass',
      message: () => `expected ${this.isNot ? 'a forbidden outcome' : 'no forbidden outcome'}\n${describeExploration(received)}`,
    };
  },
  toHaveOutcomes(received: unknown, expected: readonly Outcome[]) {
    if (!isCaseResult(received)) return notACase(received);
    const pass = received.outcomes.length === expected.length && received.outcomes.every((o, i) => o === expected[i]);
    return {
      pass,
      message: () => `expected outcomes ${this.isNot ? 'not ' : ''}${formatVector(expected)}\n${describeResult(received)}`,
      actual: received.outcomes,
      expected,
    };
  },
  toShowRace(received: unknown) {
    if (!isCaseResult(received)) return notACase(received);
    return { pass: received.race, message: () => `expected ${this.isNot ? 'no ' : ''}race\n${describeResult(received)}` };
  },
  toBeRaceFree(received: unknown) {
    if (!isCaseResult(received)) return notACase(received);
    return {
      pass: received.outcomes.length > 0 && !received.race,
      message: () => `expected ${this.isNot ? 'a race' : 'every read intact'}\n${describeResult(received)}`,
    };
  },
});

/**
 * Ends contend's idle threads and process hosts after the file's tests (call it at the top of a
 * test file, or once in a vitest setup file, which runs for every file).
 */
export function closePoolsAfterAll(): void {
  afterAll(closePools);
}

export { closePools };
