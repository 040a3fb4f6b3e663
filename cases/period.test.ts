import { describe, expect, test } from 'vitest';
import { calibratePeriod, runCase } from '../lib/index.js';
import { MATRIX } from './support/table.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The wall-clock driver of the AppCache lock tests at a short period gives the same vectors as step mode: one race and
// one race-free lock per kind, plus the kind-specific mutex.
const SUBSET = MATRIX.filter(([, lock]) => lock === 'none' || lock === 'mutex' || lock === 'flock');

describe('period mode, 50 ms period', () => {
  test.each(SUBSET)('%s × %s', async (kind, lock, expected) => {
    const result = await runCase({ kind, lock, mode: 'period', period: 0.05, order: 'force-write' });
    expect(result).toHaveOutcomes(expected);
    expect(result.calibration?.period).toBeGreaterThanOrEqual(0.05);
  });
});

test('calibration raises a period shorter than ten read+write round trips', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'contend-test-'));
  try {
    const tiny = await calibratePeriod(1e-7, dir);
    expect(tiny.period).toBeGreaterThan(1e-7);
    expect(tiny.period).toBeCloseTo((tiny.worstMs * 10) / 1000, 9);
    const roomy = await calibratePeriod(60, dir);
    expect(roomy.period).toBe(60);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
