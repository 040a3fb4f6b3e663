import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { generateSchedule, InvalidOptionError, registerLock, registerWriteStrategy, runCase, runMatrix, type CaseOptions } from '../lib/index.js';
import { runAudit } from '../lib/audit/index.js';
import { runFuzz } from '../lib/fuzz/index.js';
import { runPowerloss } from '../lib/powerloss/index.js';
import { crashPoints, runStress, traceDurability } from '../lib/stress/public.js';
import { runSweep, runWorkload, sweepConfigs } from '../lib/workload/index.js';
import { caseDirs } from './support/leftovers.js';

const CASE_KEYS = 'kind, lock, order, workers, mode, period, pattern, seed, schedule, granularity, write, lockOptions, calibrate, actionTimeoutMs, startTimeoutMs';

describe('bad options are refused before anything runs', () => {
  test.each<[Partial<CaseOptions>, string]>([
    [{ kind: 'async', lock: 'none', workers: 0 }, 'invalid workers: 0; allowed: an integer from 1 to 64'],
    [{ kind: 'async', lock: 'none', period: -2 }, 'invalid period: -2; allowed: a number of seconds above 0, at most 3600'],
    [{ kind: 'async', lock: 'nolock' }, 'invalid lock: "nolock"; allowed: none, spinlock, mutex, flock, lockfile, fs-ext, os-lock, npm-lockfile, pg-advisory, pg-advisory-xact, redis-lease, redlock, etcd-lease'],
    [{ kind: 'fiber' as never, lock: 'none' }, 'invalid worker kind: "fiber"; allowed: async, thread, process'],
    [{ kind: 'async', lock: 'none', granularity: 'forever' as never }, 'invalid granularity: "forever"; allowed: lifetime, operation'],
    [{ kind: 'async', lock: 'none', mode: 'fast' as never }, 'invalid mode: "fast"; allowed: step, period'],
    [{ kind: 'async', lock: 'none', actionTimeoutMs: 0 }, 'invalid actionTimeoutMs: 0; allowed: a number of ms above 0 to 2147483647'],
    [{ kind: 'async', lock: 'none', startTimeoutMs: -5 }, 'invalid startTimeoutMs: -5; allowed: a number of ms above 0 to 2147483647'],
    // A misspelt option would otherwise be dropped, and the case run with 5 workers.
    [{ kind: 'async', lock: 'none', wrokers: 3 } as never, `invalid case option: "wrokers"; allowed: ${CASE_KEYS}`],
    [{ kind: 'async', lock: { module: './fixtures/excl-lock.ts', export: 'ExclusiveFileLockAdapter' }, lockOption: {} } as never, `invalid case option: "lockOption"; allowed: ${CASE_KEYS}`],
  ])('%o', async (options, message) => {
    const before = caseDirs().length;
    const error = await runCase(options as CaseOptions).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).code).toBe('E_INVALID_OPTION');
    expect((error as Error).message).toBe(message);
    expect(caseDirs().length).toBe(before);
  });

  test('the matrix checks its lists the same way', async () => {
    await expect(runMatrix({ locks: ['flock', 'nope'] })).rejects.toThrow('invalid locks: "nope"; allowed: none, spinlock, mutex, flock, lockfile');
    await expect(runMatrix({ repeat: 0 })).rejects.toThrow('invalid repeat: 0; allowed: an integer from 1 to 100000');
    await expect(runMatrix({ kind: 'thread' } as never)).rejects.toThrow(
      'invalid matrix option: "kind"; allowed: kinds, locks, orders, repeat, cpuLoad, explore, workers, mode, period, pattern, seed, schedule, granularity, write, lockOptions, calibrate, actionTimeoutMs, startTimeoutMs',
    );
  });

  test.each<[string, () => unknown, string]>([
    ['generateSchedule', () => generateSchedule({ workers: 2, period: 1, patern: 'random' } as never), 'invalid schedule option: "patern"; allowed: workers, period, pattern, seed, span'],
    ['runAudit', () => runAudit({ propertes: ['fencing'] } as never), 'invalid audit option: "propertes"; allowed: libraries, properties, onCell'],
    ['runFuzz', () => runFuzz({ child: 2 } as never), 'invalid fuzz option: "child"; allowed: children, waves, lock, write, firstWriteTimeoutMs, observeMs, onWave, cycles, seed, quitter'],
    ['runPowerloss', () => runPowerloss({ strategy: ['atomic'] } as never), 'invalid powerloss option: "strategy"; allowed: strategies, ops, check, kind, dir, saveTimeoutMs'],
    ['runStress', () => runStress({ trial: 3 } as never), 'invalid stress option: "trial"; allowed: strategies, scenarios, trials, kinds, seed, onProgress'],
    ['crashPoints', () => crashPoints({ strategy: 'atomic', item: 3 } as never), 'invalid crash point option: "item"; allowed: strategy, items, onPoint'],
    ['runWorkload', () => runWorkload({ writers: 1 }, { histroy: true } as never), 'invalid workload run option: "histroy"; allowed: scenario, history'],
    // Called without their options, or with the wrong shape: bad input, not a TypeError from inside.
    ['crashPoints()', () => crashPoints(undefined as never), 'invalid crash point options: nothing; allowed: an object of strategy, items, onPoint'],
    ['traceDurability', () => traceDurability('atomic', { itemz: 3 } as never), 'invalid durability option: "itemz"; allowed: items'],
    ['runSweep', () => runSweep({} as never), 'invalid sweep configs: {}; allowed: a non-empty list of workload configs, as sweepConfigs(grid) gives'],
    ['sweepConfigs', () => sweepConfigs({ writers: [2] } as never), 'invalid sweep writerRates: nothing; allowed: a non-empty list of numbers'],
    ['runAudit, a row\'s lock options', () => runAudit({ libraries: [{ name: 'flock', role: 'lock', lockOptions: 'x' }] } as never), 'invalid lock options: "x"; allowed: an object, e.g. {"staleMs":2000}'],
    ['runAudit', () => runAudit({ libraries: [42] } as never), "invalid libraries: 42; allowed: a non-empty list of lock and write strategy names, or rows { name, role: 'lock' | 'writer', lockOptions? }"],
  ])('%s refuses a misspelt option before it starts, naming the ones it takes', async (_name, call, message) => {
    const before = caseDirs().length;
    const error = await (async () => call())().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toBe(message);
    expect(caseDirs().length).toBe(before);
  });

  test('an option left undefined, as a spread of optional fields leaves it, is not a misspelling', async () => {
    const result = await runCase({ kind: 'async', lock: 'none', workers: 2, ...({ wrokers: undefined } as object) } as CaseOptions);
    expect(result.outcomes).toEqual(result.predicted);
  });
});

test.each<[string, () => Promise<unknown>, string]>([
  ['registerLock with the CLI\'s MODULE#EXPORT', () => registerLock('./my-lock.ts#MyLock' as never), 'invalid lock: "./my-lock.ts#MyLock"; allowed: { module, export } naming your own adapter, e.g. { module: \'./my-adapter.ts\', export: \'MyAdapter\' }'],
  ['registerLock with a module that is not text', () => registerLock({ module: 42 } as never), 'invalid lock: {"module":42}; allowed: { module, export } naming your own adapter, e.g. { module: \'./my-adapter.ts\', export: \'MyAdapter\' }'],
  ['registerWriteStrategy with nothing', () => registerWriteStrategy(null as never), 'invalid strategy: null; allowed: { module, export } naming your own adapter, e.g. { module: \'./my-adapter.ts\', export: \'MyAdapter\' }'],
  ['runMatrix with a lock named twice', () => runMatrix({ locks: ['none', 'none'] }), 'invalid locks: ["none","none"]; allowed: each of none, spinlock, mutex, flock, lockfile, fs-ext, os-lock, npm-lockfile, pg-advisory, pg-advisory-xact, redis-lease, redlock, etcd-lease at most once'],
])('%s is refused by name, not by a TypeError from deep inside', async (_name, call, message) => {
  const error = await call().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InvalidOptionError);
  expect((error as Error).message).toBe(message);
});

describe('the codes of the errors contend raises on purpose', () => {
  const sources = (dir: string): string[] =>
    readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => readFileSync(join(dir, f), 'utf8'));
  const codesIn = (text: string): Set<string> => new Set([...text.matchAll(/'(E_[A-Z_]+)'/g)].map((m) => m[1]!));
  const guide = readFileSync('doc/guide.md', 'utf8');

  test('each is named in the guide, where a user looks up what a code means', () => {
    const codes = codesIn([...sources('lib'), ...sources('schedules'), ...sources('workers')].join('\n'));
    expect(codes.size).toBeGreaterThan(30);
    expect([...codes].filter((code) => !guide.includes(`\`${code}\``))).toEqual([]);
  });

  test("the guide's list of bad input is the set the CLI exits 2 for", () => {
    const badInput = /const BAD_INPUT = new Set\(\[([^\]]*)\]\)/.exec(readFileSync('lib/cli/main.ts', 'utf8'))?.[1] ?? '';
    const bullet = /- \*\*Bad input, exit status 2:\*\*([\s\S]*?)\n- \*\*/.exec(guide)?.[1] ?? '';
    expect(codesIn(badInput).size).toBeGreaterThan(5);
    expect([...codesIn(bullet.replaceAll('`', "'"))].sort()).toEqual([...codesIn(badInput)].sort());
  });
});
