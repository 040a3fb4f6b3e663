import { describe, expect, test } from 'vitest';
import { applyOrdering, expectsRace, generateSchedule, predictOutcomes, resolveLock, runCase } from '../lib/index.js';
import { MATRIX, NO_RACE, ORDERS, RACE } from './support/table.js';

describe('the expected-outcome rule agrees with every stated vector', () => {
  test.each(MATRIX)('%s × %s', (kind, lock, expected) => {
    const { adapter } = resolveLock(lock);
    const statedRace = expected.some((o) => o !== 'intact');
    expect(expectsRace(adapter.excludes, kind, 5)).toBe(statedRace);
    for (const order of ORDERS) {
      const ordered = applyOrdering(generateSchedule({ workers: 5, period: 2 }), order);
      expect(predictOutcomes(ordered, !statedRace)).toEqual(expected);
    }
  });

  test('the table covers every kind × built-in lock exactly once', () => {
    const keys = MATRIX.map(([k, l]) => `${k}/${l}`);
    expect(new Set(keys).size).toBe(15);
  });

  test('one worker never races, whatever the lock', () => {
    expect(expectsRace({ async: false, thread: false, process: false }, 'process', 1)).toBe(false);
  });
});

describe('matchers fail when the expected outcome does not appear', () => {
  test('a race expectation fails on a race-free run', async () => {
    const result = await runCase({ kind: 'async', lock: 'flock' });
    expect(() => expect(result).toHaveOutcomes(RACE)).toThrow(/expected outcomes \[overwritten ×4, intact\]/);
    expect(() => expect(result).toShowRace()).toThrow(/expected race/);
  });

  test('a race-free expectation fails on a race', async () => {
    const result = await runCase({ kind: 'async', lock: 'none' });
    expect(() => expect(result).toHaveOutcomes(NO_RACE)).toThrow(/replay/);
    expect(() => expect(result).toBeRaceFree()).toThrow(/every read intact/);
  });

  test('a matcher given something other than a result says what it got', () => {
    expect(() => expect(Promise.resolve({})).toShowRace()).toThrow(/got a promise \(await runCase/);
    expect(() => expect(undefined).toBeRaceFree()).toThrow(/expected the result of runCase\(\), got undefined/);
  });
});
