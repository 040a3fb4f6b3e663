import { afterAll, beforeAll, expect, test } from 'vitest';
import { readDuringSave } from './support/schedules.js';
import { registerWriteStrategy, runCase, unregisterWriteStrategy, writeStrategyNames } from '../lib/index.js';
import { crashPoints } from '../lib/stress/crashpoints.js';
import { readFileSync } from 'node:fs';
import { docBlock } from './support/docs.js';

// A write strategy added from outside, against the public API only, runs wherever a built-in does.
beforeAll(async () => {
  await registerWriteStrategy({ module: new URL('./fixtures/append-strategy.ts', import.meta.url).href, export: 'BackupThenOverwrite' });
});
afterAll(() => {
  unregisterWriteStrategy('backup-overwrite');
  unregisterWriteStrategy('sync-truncate');
});

// The save fails at its synchronous step, during the write that asked for the pause: it is not
// reported paused, and then failed at the resume.
test.each(['async', 'thread', 'process'] as const)('%s: a pause at a synchronous step fails the write plainly instead of pretending to hold it', async (kind) => {
  await registerWriteStrategy({ module: new URL('./fixtures/append-strategy.ts', import.meta.url).href, export: 'SyncTruncate' });
  const error = await runCase({ kind, lock: 'none', write: 'sync-truncate', schedule: readDuringSave }).catch((e: unknown) => e);
  expect((error as Error).message).toMatch(/^worker 1 threw during 'write': Error: cannot pause at writeSync: a pause point needs the step made through fs's callback or promise form \(at cases\/fixtures\/append-strategy\.ts:\d+:\d+\)$/m);
});

test('a save made with synchronous calls is still traced step by step for crash points', async () => {
  await registerWriteStrategy({ module: new URL('./fixtures/append-strategy.ts', import.meta.url).href, export: 'SyncTruncate' });
  const table = await crashPoints({ strategy: 'sync-truncate', items: 100 });
  expect(table.steps.map((s) => s.op)).toEqual(['open', 'write', 'close']);
});

test('it is listed beside the built-ins', () => {
  expect(writeStrategyNames()).toContain('backup-overwrite');
});

test('its crash points are traced step by step', async () => {
  const table = await crashPoints({ strategy: 'backup-overwrite', items: 100 });
  expect(table.steps.map((s) => s.op)).toEqual(['copyFile', 'open', 'write', 'close']);
  expect(table.points.map((p) => p.state)).toEqual(['old', 'old', 'empty', 'new', 'new']);
  expect(table.points[2]!.leftovers).toEqual(['state.json.bak']);
  expect(table.steps[0]!.detail).toBe('state.json → state.json.bak');
});

test.each(['thread', 'process'] as const)('a %s reader in the middle of its save finds the file emptied', async (kind) => {
  const result = await runCase({
    kind,
    lock: 'none',
    write: 'backup-overwrite',
    schedule: readDuringSave,
  });
  // worker 1 reads its own save; worker 2 reads mid-save, then worker 1's
  expect(result).toHaveOutcomes(['intact', 'torn', 'overwritten']);
});

test('doc/strategies.md shows exactly this strategy', () => {
  expect(docBlock('doc/strategies.md', 'backup-overwrite.ts')).toBe(readFileSync(new URL('./fixtures/append-strategy.ts', import.meta.url), 'utf8'));
});
