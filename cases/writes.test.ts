import { describe, expect, test } from 'vitest';
import { runCase, writeStrategyNames } from '../lib/index.js';
import { NO_RACE, RACE } from './support/table.js';

// A lost update is about the lock, not about how the file is saved: with every write strategy the
// staggered schedule loses the same updates without an excluding lock, and none with one.
describe.each(writeStrategyNames())('write strategy %s', (write) => {
  test.each([
    ['process', 'none', RACE],
    ['process', 'flock', NO_RACE],
    ['thread', 'mutex', NO_RACE],
    ['async', 'spinlock', RACE],
  ] as const)('%s × %s', async (kind, lock, expected) => {
    const result = await runCase({ kind, lock, write });
    expect(result).toHaveOutcomes(expected);
    expect(result.case.write).toBe(write);
  });
});

test('an unknown strategy is refused before anything runs', async () => {
  await expect(runCase({ kind: 'async', lock: 'none', write: 'yolo' })).rejects.toThrow(
    'invalid strategy: "yolo"; allowed: truncate, atomic, atomic-dirsync, atomic-sync, fixed-temp, write-file-atomic',
  );
});
