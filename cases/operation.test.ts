import { describe, expect, test } from 'vitest';
import { runCase } from '../lib/index.js';
import { MATRIX, ORDERS } from './support/table.js';

// `operation` granularity: the lock is held around each write…read pair only, as an application
// would hold it. Exclusion is the same as with the lifetime lock of the AppCache lock tests, so are the vectors.
describe.each(ORDERS)('operation granularity, %s', (order) => {
  test.each(MATRIX)('%s × %s', async (kind, lock, expected) => {
    const result = await runCase({ kind, lock, order, granularity: 'operation' });
    expect(result).toHaveOutcomes(expected);
  });
});

test('operation granularity hands the lock on at each read, lifetime only at exit', async () => {
  const op = await runCase({ kind: 'thread', lock: 'flock', granularity: 'operation' });
  const life = await runCase({ kind: 'thread', lock: 'flock', granularity: 'lifetime' });
  // Worker 2 waits for worker 1's read in both; with operation granularity it gets the lock before
  // the closing exits, with lifetime only once worker 1 has exited.
  const firstWrite2 = (r: typeof op) => r.trace.find((t) => t.worker === 2 && t.status === 'done');
  expect(firstWrite2(op)?.tick).toBeGreaterThanOrEqual(0);
  expect(firstWrite2(life)?.tick).toBe(-1);
});
