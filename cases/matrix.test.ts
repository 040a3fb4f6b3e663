import { describe, expect, test } from 'vitest';
import { runCase, runMatrix } from '../lib/index.js';
import { MATRIX, ORDERS } from './support/table.js';

// The full matrix: worker kind × lock × ordering, 5 workers, deterministic step mode.
describe.each(ORDERS)('%s', (order) => {
  test.each(MATRIX)('%s workers × %s lock', async (kind, lock, expected) => {
    const result = await runCase({ kind, lock, order, workers: 5, mode: 'step' });
    expect(result).toHaveOutcomes(expected);
    // A lock that keeps the actors apart must have made someone wait; one that does not, nobody.
    const waited = result.trace.some((t) => t.status === 'blocked');
    expect(waited).toBe(!result.race);
  });
});

test('runMatrix takes a write strategy of the user\'s by module and export, as runCase does', async () => {
  const rows = await runMatrix({ kinds: ['async'], locks: ['none', 'flock'], orders: ['force-write'], workers: 3, write: { module: './cases/fixtures/captured-fs-strategy.ts', export: 'CapturedFsStrategy' } });
  expect(rows.map((r) => [r.options.write, r.verdict])).toEqual([
    ['captured-fs', 'pass'],
    ['captured-fs', 'pass'],
  ]);
  expect(rows[0]!.last!.case.write).toBe('captured-fs');
});
