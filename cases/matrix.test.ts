import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { registerLock, runCase, runMatrix, unregisterLock, type MatrixRow } from '../lib/index.js';
import { matrixLanes } from '../lib/case/matrix.js';
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

describe('how the matrix runs its cases in step mode', () => {
  test('each kind a lane of its own; the async cases first and alone unless all their adapters are built in; period mode one case at a time', () => {
    const cases = (['thread', 'async', 'process', 'async', 'thread'] as const).map((kind) => ({ kind }));
    expect(matrixLanes(cases, true, true)).toEqual([[[1, 3], [0, 4], [2]]]);
    expect(matrixLanes(cases, true, false)).toEqual([[[1, 3]], [[0, 4], [2]]]);
    expect(matrixLanes(cases, false, true)).toEqual([[[0, 1, 2, 3, 4]]]);
    // No phase, nor lane, of a kind the matrix does not run.
    expect(matrixLanes([{ kind: 'thread' }, { kind: 'thread' }], true, false)).toEqual([[[0, 1]]]);
  });

  const LOGGING = new URL('./fixtures/logging-lock.ts', import.meta.url);
  let dir: string;
  beforeAll(async () => {
    await registerLock({ module: LOGGING.href, export: 'LoggingLockAdapter' });
    await registerLock({ module: LOGGING.href, export: 'OtherLoggingLockAdapter' });
    dir = mkdtempSync(join(tmpdir(), 'matrix-'));
  });
  afterAll(() => {
    unregisterLock('logging');
    unregisterLock('logging-other');
    rmSync(dir, { recursive: true, force: true });
  });

  test('no async actor is alive beside a thread or process actor, and rows come in the matrix\'s order', async () => {
    const log = join(dir, 'alive.log');
    const reported: [MatrixRow, number][] = [];
    // Async in the middle: the order of the table is not the order the cases run in.
    // Two locks, each taking the `log` option the matrix gives every lock.
    const rows = await runMatrix({ kinds: ['thread', 'async', 'process'], locks: ['logging', 'logging-other'], lockOptions: { log }, workers: 3 }, (row, index) => {
      reported.push([row, index]);
    });
    expect(rows.map((r) => `${r.options.kind}/${r.options.lock}/${r.verdict}`)).toEqual(
      ['thread', 'async', 'process'].flatMap((kind) => ['logging', 'logging', 'logging-other', 'logging-other'].map((lock) => `${kind}/${lock}/pass`)),
    );
    expect(reported.map(([, index]) => index)).toEqual(rows.map((_, i) => i));
    reported.forEach(([row, index]) => expect(row).toBe(rows[index]));
    // Read in the order the actors made and closed their locks: an async actor's adapter code runs
    // in the driver's own thread, and one that blocked it would stall every case beside it.
    const alive = { async: 0, thread: 0, process: 0 };
    const beside: string[] = [];
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    for (const line of lines) {
      const [kind, worker, event] = line.split(' ') as [keyof typeof alive, string, string];
      const others = kind === 'async' ? alive.thread + alive.process : alive.async;
      if (event === 'open' && others > 0) beside.push(`${kind} ${worker} opened beside ${others} of another kind`);
      alive[kind] += event === 'open' ? 1 : -1;
    }
    expect(beside).toEqual([]);
    // 3 kinds × 2 locks × 2 orders × 3 workers, each opened and closed.
    expect(lines.length).toBe(72);
  });

  test('a reader that throws ends the run with its error, and hears of no row after it', async () => {
    let calls = 0;
    const reader = (): void => {
      calls++;
      throw new Error('the reader went away');
    };
    await expect(runMatrix({ kinds: ['thread', 'process'], locks: ['none', 'spinlock'], workers: 2 }, reader)).rejects.toThrow('the reader went away');
    expect(calls).toBe(1);
  });
});
