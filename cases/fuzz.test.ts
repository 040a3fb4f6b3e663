import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { CorruptStoreError, JsonFileStore } from '../lib/index.js';
import { runFuzz, VacuousWaveError } from '../lib/fuzz/harness.js';

describe('JsonFileStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'contend-store-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a put never moves a sequence backwards', async () => {
    const store = await JsonFileStore.open(join(dir, 'state.json'));
    expect(await store.get('a')).toBeUndefined();
    expect(await store.put('a', { sequence: 5, note: 'five' })).toEqual({ sequence: 5, note: 'five' });
    expect(await store.put('a', { sequence: 3 })).toEqual({ sequence: 5, note: 'five' });
    expect(await store.put('b', { sequence: 1 })).toEqual({ sequence: 1 });
    expect(await store.load()).toEqual({ a: { sequence: 5, note: 'five' }, b: { sequence: 1 } });
    await store.close();
  });

  test('puts made at once through one store all land', async () => {
    const store = await JsonFileStore.open(join(dir, 'state.json'));
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.put(`k${i}`, { sequence: i })));
    expect(Object.keys(await store.load())).toHaveLength(20);
    await store.close();
  });

  test.each([
    ['', 'empty file'],
    ['{"keys": {"a": {"sequence": 1}', 'not JSON'],
    ['{"keys": {"a": {"sequence": "x"}}}', 'key "a" has no integer sequence'],
    ['[1, 2]', 'no "keys" object'],
  ])('opening %j is a typed error that keeps the file', async (content, reason) => {
    const path = join(dir, 'state.json');
    writeFileSync(path, content);
    const error = await JsonFileStore.open(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptStoreError);
    expect((error as CorruptStoreError).code).toBe('E_CORRUPT_STORE');
    expect((error as Error).message).toContain(reason);
    expect(readFileSync(path, 'utf8')).toBe(content);
  });
});

describe('kill fuzz', () => {
  test('flock + atomic: nothing journaled is lost, nothing goes backwards', async () => {
    const report = await runFuzz({ lock: 'flock', write: 'atomic', waves: 3 });
    expect(report.violations).toEqual([]);
    expect(report.ok).toBe(true);
    // Not vacuous: every wave acknowledged puts.
    for (const wave of report.waves) expect(wave.puts.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  test('no lock: lost updates are reported with key, journaled and stored sequence', async () => {
    // Caught in 60 of 60 two-wave runs when measured; four waves make a miss very unlikely.
    const report = await runFuzz({ lock: 'none', write: 'atomic', waves: 4 });
    expect(report.ok).toBe(false);
    const lost = report.violations.find((v) => v.kind === 'lost-update')!;
    expect(lost.key).toBe(`child-${lost.child}`);
    expect(lost.journaled).toBeGreaterThan(lost.stored ?? -1);
    expect(lost.detail).toMatch(/^child \d+: stored (\d+|nothing) < journaled \d+( \(seen while it ran\))?$/);
  });

  test('flock + truncate: a reader of the store finds it torn while the children run', async () => {
    const report = await runFuzz({ lock: 'flock', write: 'truncate', waves: 3 });
    expect(report.ok).toBe(false);
    expect(report.violations.find((v) => v.kind === 'unparseable')?.detail).toMatch(/is corrupt .* \(seen while the children ran\)$/);
  });

  test('a soak repeats the waves and sums up puts and kills', async () => {
    const report = await runFuzz({ cycles: 2, waves: 2, seed: 5, observeMs: 100 });
    expect(report.violations).toEqual([]);
    expect(report.waves).toHaveLength(4);
    expect(report.kills).toBe(16);
    expect(report.puts).toBe(report.waves.flatMap((w) => w.puts).reduce((a, b) => a + b, 0));
  });

  test('a child that leaves before the kill fails the run, with its number and exit status', async () => {
    // It leaves before its first put: however busy the machine, before the wave's window can end.
    const error = await runFuzz({ quitter: { child: 2, after: 0 }, waves: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VacuousWaveError);
    expect((error as Error).message).toBe('child 2 ended before the kill: exited with code 3');
  });

  test('a wave in which nobody makes progress fails the run', async () => {
    const error = await runFuzz({ firstWriteTimeoutMs: 1, waves: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VacuousWaveError);
    expect((error as Error).message).toMatch(/no child journaled a put within 1 ms/);
  });

  test('bad options name the allowed values', async () => {
    await expect(runFuzz({ children: 0 })).rejects.toThrow('invalid children: 0; allowed: an integer from 1 to 64');
    await expect(runFuzz({ cycles: -1 })).rejects.toThrow('invalid cycles: -1; allowed: an integer from 1 to 1000000');
    await expect(runFuzz({ lock: 'nolock' })).rejects.toThrow('invalid lock: "nolock"; allowed: none, spinlock, mutex, flock, lockfile');
    await expect(runFuzz({ write: 'yolo' })).rejects.toThrow('invalid strategy: "yolo"');
  });
});
