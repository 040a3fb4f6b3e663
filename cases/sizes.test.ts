import { describe, expect, test } from 'vitest';
import { runCase } from '../lib/index.js';
import { MATRIX, noRace, race } from './support/table.js';

// The 5 workers of the AppCache lock tests are not special: the staggered race has the same shape for 2 and 8.
describe.each([2, 8])('%i workers', (workers) => {
  test.each(MATRIX)('%s × %s', async (kind, lock, expected5) => {
    const expected = expected5.includes('overwritten') ? race(workers) : noRace(workers);
    const result = await runCase({ kind, lock, workers, order: 'force-write' });
    expect(result).toHaveOutcomes(expected);
  });
});
