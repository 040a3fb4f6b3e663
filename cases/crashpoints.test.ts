import { describe, expect, test } from 'vitest';
import { crashPoints, type CrashTable } from '../lib/stress/crashpoints.js';

// A writer SIGKILLed just before each of its file-system steps, over a file holding an older
// version of a 300-item document (a few 16 KiB writes): what is left is decided by the step, not by chance.
const ITEMS = 300;
const states = (t: CrashTable): string[] => t.points.map((p) => p.state);

describe('truncate', () => {
  test('leaves an empty file, then a torn one, before its last write lands', async () => {
    const table = await crashPoints({ strategy: 'truncate', items: ITEMS });
    const writes = table.steps.filter((s) => s.op === 'write').length;
    expect(writes).toBeGreaterThanOrEqual(2);
    expect(table.steps.map((s) => s.op)).toEqual(['open', ...Array(writes).fill('write'), 'close']);
    // killed before: open → old; the first write → empty; later writes → torn; close, or never → new
    expect(states(table)).toEqual(['old', 'empty', ...Array(writes - 1).fill('torn'), 'new', 'new']);
  });
});

describe.each(['atomic', 'atomic-dirsync', 'atomic-sync', 'fixed-temp', 'write-file-atomic'])('%s', (strategy) => {
  test('never leaves the target torn, empty or missing: old until the rename, new after', async () => {
    const table = await crashPoints({ strategy, items: ITEMS });
    const rename = table.steps.findIndex((s) => s.op === 'rename') + 1;
    expect(rename).toBeGreaterThan(0);
    for (const point of table.points) {
      const expected = point.k !== null && point.k <= rename ? 'old' : 'new';
      expect(point.state, `crash before step ${point.k}: ${point.step?.op} ${point.step?.detail}`).toBe(expected);
    }
    // What a crash costs besides: the temp file it was writing stays behind.
    expect(table.points.some((p) => p.leftovers.length > 0)).toBe(true);
    expect(table.points.at(-1)!.leftovers).toEqual([]);
  });
});

test('the same table on every run', async () => {
  const first = await crashPoints({ strategy: 'atomic-dirsync', items: ITEMS });
  const again = await crashPoints({ strategy: 'atomic-dirsync', items: ITEMS });
  expect(again).toEqual(first);
  const writes = first.steps.filter((s) => s.op === 'write').map((s) => s.detail);
  expect(writes.slice(0, -1).every((d) => d === '16384 B to <tmp>')).toBe(true);
  expect(first.steps.map((s) => `${s.op} ${s.detail}`)).toEqual([
    'open <tmp> (wx)',
    ...writes.map((d) => `write ${d}`),
    'fsync <tmp>',
    'close <tmp>',
    'rename <tmp> → state.json',
    'open <dir> (r)',
    'fsync <dir>',
    'close <dir>',
  ]);
});

test('an unknown strategy names the allowed ones', async () => {
  await expect(crashPoints({ strategy: 'yolo' })).rejects.toThrow(
    'invalid strategy: "yolo"; allowed: truncate, atomic, atomic-dirsync, atomic-sync, fixed-temp, write-file-atomic',
  );
});
