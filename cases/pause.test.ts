import { describe, expect, test } from 'vitest';
import { runCase, type Schedule, type WorkerKind } from '../lib/index.js';
import { readDuringSave } from './support/schedules.js';

const KINDS: WorkerKind[] = ['async', 'thread', 'process'];

describe.each(KINDS)('%s workers, a read in the middle of a save', (kind) => {
  test('truncate: the reader finds the file emptied (torn), deterministically', async () => {
    const result = await runCase({ kind, lock: 'none', write: 'truncate', schedule: readDuringSave });
    // worker 1: its own read; worker 2: mid-save read, then the read after worker 1's save
    expect(result).toHaveOutcomes(['intact', 'torn', 'overwritten']);
    expect(result.trace.find((t) => t.status === 'paused')?.step).toMatch(/^write \d+ B to \S*shared\.json$/);
  });

  test.each(['atomic', 'atomic-dirsync', 'atomic-sync', 'fixed-temp', 'write-file-atomic'])('%s: the reader still finds the old content', async (write) => {
    const result = await runCase({ kind, lock: 'none', write, schedule: readDuringSave });
    expect(result).toHaveOutcomes(['intact', 'intact', 'overwritten']);
    expect(result.writeFailures).toEqual([]);
  });
});

/**
 * Two process writers with fixed-temp: worker 1 is held just before its rename, its temp file
 * written; worker 2 saves through the same temp name and renames it away; worker 1's rename then
 * finds no temp file.
 */
const clobber: Schedule = {
  workers: 2,
  period: 1,
  pattern: 'staggered',
  ticks: [
    { at: 0, actions: [{ worker: 1, op: 'write', pause: 'rename' }] },
    { at: 1, actions: [{ worker: 2, op: 'write' }] },
    { at: 2, actions: [{ worker: 1, op: 'resume' }] },
    { at: 3, actions: [{ worker: 1, op: 'read' }, { worker: 2, op: 'read' }] },
  ],
};

describe('two process writers sharing one temp name', () => {
  test('fixed-temp: the second rename finds no temp file, and the first save is lost', async () => {
    const result = await runCase({ kind: 'process', lock: 'none', write: 'fixed-temp', schedule: clobber });
    expect(result.writeFailures).toEqual([{ worker: 1, op: 'resume', code: 'ENOENT', message: expect.stringContaining('rename') }]);
    expect(result).toHaveOutcomes(['overwritten', 'intact']);
  });

  test.each(['atomic', 'write-file-atomic'])('%s: unique temp names, both saves land in order', async (write) => {
    const result = await runCase({ kind: 'process', lock: 'none', write, schedule: clobber });
    expect(result.writeFailures).toEqual([]);
    // worker 1's rename comes last, so its content is what both read
    expect(result).toHaveOutcomes(['intact', 'overwritten']);
  });
});

test('a pause on a step the save never takes is reported, not waited on', async () => {
  const schedule: Schedule = { ...clobber, ticks: [{ at: 0, actions: [{ worker: 1, op: 'write', pause: 'rename' }] }, { at: 1, actions: [{ worker: 1, op: 'resume' }] }] };
  const error = await runCase({ kind: 'async', lock: 'none', write: 'truncate', schedule }).catch((e: unknown) => e);
  expect((error as Error).message).toMatch(/worker 1 threw during 'resume'.*no write of this worker is paused/);
});

test('a schedule that leaves a write paused is refused up front', async () => {
  const schedule: Schedule = { ...clobber, ticks: [{ at: 0, actions: [{ worker: 1, op: 'write', pause: 'rename' }] }] };
  await expect(runCase({ kind: 'async', lock: 'none', schedule })).rejects.toThrow('allowed: every paused write resumed before the end');
});

test('a case that fails while a write is paused leaves no open file behind', async () => {
  const { registerLock, unregisterLock } = await import('../lib/index.js');
  const { readdirSync, readlinkSync } = await import('node:fs');
  await registerLock({ module: new URL('./fixtures/faulty-locks.ts', import.meta.url).href, export: 'FaultyLockAdapter' });
  const schedule: Schedule = {
    workers: 2,
    period: 1,
    pattern: 'staggered',
    ticks: [
      { at: 0, actions: [{ worker: 1, op: 'write', pause: 'write' }] },
      { at: 1, actions: [{ worker: 2, op: 'write' }] },
      { at: 2, actions: [{ worker: 1, op: 'resume' }] },
    ],
  };
  const openTemps = (): string[] =>
    readdirSync('/proc/self/fd')
      .map((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`);
        } catch {
          return '';
        }
      })
      .filter((target) => target.includes('shared.json.'));
  // worker 2's lock throws while worker 1's atomic save is held with its temp file open
  const error = await runCase({ kind: 'async', lock: 'faulty', lockOptions: { worker: 2, how: 'throw' }, write: 'atomic', schedule }).catch((e: unknown) => e);
  unregisterLock('faulty');
  expect((error as Error).message).toMatch(/^worker 2 threw during 'write': Error: worker 2 cannot lock \(at cases\/fixtures\/faulty-locks\.ts:\d+:\d+\)$/);
  expect(openTemps()).toEqual([]);
});

test('a resume without a paused write is refused up front', async () => {
  const schedule: Schedule = { ...clobber, ticks: [{ at: 0, actions: [{ worker: 1, op: 'resume' }] }] };
  await expect(runCase({ kind: 'async', lock: 'none', schedule })).rejects.toThrow('a resume only after a paused write of the same worker');
});
