import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { applyOrdering, generateSchedule, predictOutcomes, runCase, type WorkerKind } from '../lib/index.js';

const KINDS: WorkerKind[] = ['async', 'thread', 'process'];

// Step mode's promise: the same schedule gives the same outcome vector and the same sequence of
// driver steps (who blocked, who got the lock next) on every run, whatever the machine is doing.
describe.each(KINDS)('%s workers, step mode, 10 runs', (kind) => {
  test.each(['none', 'mutex', 'flock', 'lockfile'])('%s: identical vector and trace every run', async (lock) => {
    const first = await runCase({ kind, lock, granularity: 'operation', workers: 6 });
    for (let i = 0; i < 9; i++) {
      const again = await runCase({ kind, lock, granularity: 'operation', workers: 6 });
      expect(again.outcomes).toEqual(first.outcomes);
      expect(again.trace).toEqual(first.trace);
    }
  });
});

describe('seeded random schedules match the oracle', () => {
  test.each([1, 2, 3, 4, 5, 6, 7, 8])('seed %i', async (seed) => {
    for (const [kind, lock] of [
      ['process', 'none'],
      ['thread', 'mutex'],
      ['process', 'mutex'],
      ['async', 'flock'],
    ] as const) {
      const result = await runCase({ kind, lock, pattern: 'random', seed, workers: 6 });
      const ordered = applyOrdering(generateSchedule({ workers: 6, period: 2, pattern: 'random', seed }), 'force-write');
      expect(result).toHaveOutcomes(predictOutcomes(ordered, !result.expectedRace));
    }
  });
});

// The busy threads are CommonJS given as text; a process started with --input-type=module (as
// `node --input-type=module -e` is) must not make them ES modules, where they failed at once.
test('outcomes under a busy CPU, in a process whose flags make evaluated code an ES module', () => {
  const script = "import { runMatrix } from 'contend'; const rows = await runMatrix({ cpuLoad: 2, kinds: ['async', 'thread'], locks: ['none', 'mutex'], orders: ['force-write'] }); console.log(rows.map((r) => r.verdict).join(' '));";
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe('pass pass pass pass\n');
  expect(r.status).toBe(0);
});
