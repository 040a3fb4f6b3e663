import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCase } from '../lib/index.js';
import { caseDirs } from './support/leftovers.js';

function contend(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['dist/lib/cli/main.js', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('contend run', () => {
  test('runs one case and prints its vector', () => {
    const r = contend('run', '--workers-kind', 'process', '--lock', 'flock', '--order', 'force-write', '--workers', '5', '--mode', 'step');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('observed  [intact ×5]  (no race)');
    expect(r.stdout).toContain('verdict   PASS');
  });

  test('--json gives the whole result', () => {
    const r = contend('run', '--workers-kind', 'thread', '--lock', 'none', '--json');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.outcomes).toEqual(['overwritten', 'overwritten', 'overwritten', 'overwritten', 'intact']);
    expect(result.reads.map((x: { by?: number }) => x.by)).toEqual([3, 4, 5, 5, undefined]);
  });

  test('period mode with a seeded random schedule', () => {
    const r = contend('run', '--workers-kind', 'async', '--lock', 'mutex', '--mode', 'period', '--period', '0.02', '--pattern', 'random', '--seed', '3', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).race).toBe(false);
  });

  test.each(['async', 'thread', 'process'])("%s: what an adapter prints reaches stderr, and stdout stays the report's", (kind) => {
    const r = contend('run', '--lock-module', 'cases/fixtures/console-lock.ts#ConsoleLockAdapter', '--lock', 'console', '--workers-kind', kind, '--workers', '3', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).outcomes).toHaveLength(3);
    const said = r.stderr.split('\n').filter((line) => line.startsWith('console lock: ') && !line.endsWith('module loaded')).sort();
    expect(said).toEqual([1, 2, 3].flatMap((n) => [`console lock: ${kind} worker ${n} made me`, `console lock: ${kind} worker ${n} warns`]));
    // The module's own top-level line too, printed where the command line loads it before any case.
    expect(r.stderr).toContain('console lock: module loaded\n');
  });

  test('a process host that prints why it ends, and ends: the fault report quotes it', () => {
    const r = contend('run', '--lock-module', 'cases/fixtures/console-lock.ts#DyingConsoleLockAdapter', '--lock', 'console-dying', '--workers-kind', 'process', '--workers', '3', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'E_WORKER_FAULT', faults: [{ worker: 2, action: 'start', reason: 'died' }] });
    // Both lines, though the process ended right after them.
    expect(r.stderr).toMatch(/^contend: worker 2 died during 'start': process \d+ exited with code 7; stderr: console lock: worker 2 cannot reach its lock server\nconsole lock: worker 2 saw ECONNREFUSED$/m);
  });

  test('a lock of your own through --lock-module', () => {
    const r = contend('run', '--lock-module', 'cases/fixtures/excl-lock.ts#ExclusiveFileLockAdapter', '--lock', 'excl', '--workers-kind', 'process');
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('[intact ×5]');
  });
});

describe('a failure replays with the adapter it ran', () => {
  const liar = ['--lock-module', 'cases/fixtures/liar-lock.ts#LiarLockAdapter', '--lock', 'liar'];

  test.each(['async', 'thread', 'process'])('%s: the printed --replay reruns the same failure without --lock-module', (kind) => {
    const first = contend('run', ...liar, '--workers-kind', kind, '--workers', '3');
    expect(first.code).toBe(1);
    const line = first.stdout.split('\n').find((l) => l.startsWith('contend run --replay '));
    expect(line).toBeDefined();
    const literal = line!.slice('contend run --replay '.length).replace(/^'|'$/g, '');
    const parsed = JSON.parse(literal);
    expect(parsed.lock).toEqual({ module: resolve('cases/fixtures/liar-lock.ts'), export: 'LiarLockAdapter' });
    const again = contend('run', '--replay', literal, '--json');
    expect(again.code).toBe(1);
    const observed = (text: string) => text.split('\n').find((l) => l.startsWith('observed'));
    expect(JSON.parse(again.stdout).outcomes).toEqual(['overwritten', 'overwritten', 'intact']);
    expect(observed(first.stdout)).toBe('observed  [overwritten ×2, intact]  (race)');
  });

  test('runCase takes the literal too, with no registerLock before it', async () => {
    const first = contend('run', ...liar, '--workers', '2');
    const literal = first.stdout.split('\n').find((l) => l.startsWith('replay    runCase('))!.slice('replay    runCase('.length, -1);
    const result = await runCase(JSON.parse(literal));
    expect(result.case.lock).toBe('liar');
    expect(result.outcomes).toEqual(['overwritten', 'intact']);
    expect(result.predicted).toEqual(['intact', 'intact']);
  });

  test('--replay refuses case options beside it, and text that is not the literal', () => {
    const both = contend('run', '--replay', '{"kind":"async","lock":"none"}', '--lock', 'flock');
    expect(both.code).toBe(2);
    expect(both.stderr).toBe('contend: options --replay and --lock of contend run cannot be given together (see contend run --help)\n');
    const bad = contend('run', '--replay', 'runCase({"kind":');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^contend: invalid replay: .*allowed: the JSON object a failure printed/);
  });

  test('--schedule runs a schedule file, with its own worker count', () => {
    const dir = mkdtempSync(join(tmpdir(), 'contend-schedule-'));
    try {
      const file = join(dir, 'three.json');
      writeFileSync(file, contend('schedule', '--workers', '3', '--format', 'json').stdout);
      const r = contend('run', '--schedule', file, '--lock', 'none', '--json');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).outcomes).toEqual(['overwritten', 'overwritten', 'intact']);
      const missing = contend('run', '--schedule', join(dir, 'none.json'));
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/^contend: invalid schedule: "[^"]*" \(ENOENT: no such file or directory\); allowed: a readable JSON schedule file\n$/);
      // Writes only: the rule expects a race that no read can show, and the output says so.
      const writesOnly = join(dir, 'writes.json');
      writeFileSync(writesOnly, JSON.stringify({ workers: 2, period: 1, ticks: [{ at: 0, actions: [{ worker: 1, op: 'write' }] }] }));
      const noRead = contend('run', '--schedule', writesOnly);
      expect(noRead.stdout).toMatch(/^expected  \[\]  \(rule: race, but the schedule has no read to show it\)$/m);
      expect(noRead.code).toBe(0);
      const list = join(dir, 'list.json');
      writeFileSync(list, '[]');
      expect(contend('run', '--schedule', list).stderr).toBe('contend: invalid schedule: []; allowed: an object { workers, period, ticks }\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('contend schedule --json FILE writes the JSON there, and prints the format asked for', () => {
  const dir = mkdtempSync(join(tmpdir(), 'contend-schedule-'));
  try {
    const file = join(dir, 'two.json');
    const r = contend('schedule', '--workers', '2', '--json', file);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${contend('schedule', '--workers', '2').stdout}written: ${file}\n`);
    expect(readFileSync(file, 'utf8')).toBe(contend('schedule', '--workers', '2', '--json').stdout);
    expect(JSON.parse(readFileSync(file, 'utf8')).ticks).toHaveLength(4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('options before the command are read as yargs reads them: --json FILE, then the command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'contend-json-'));
  try {
    // `locks` here is the JSON file's name, not the command.
    const r = spawnSync(process.execPath, [join(process.cwd(), 'dist/lib/cli/main.js'), '--json', 'locks', 'run', '--lock', 'mutex'], { cwd: dir, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('verdict   PASS');
    expect(JSON.parse(readFileSync(join(dir, 'locks'), 'utf8')).case.lock).toBe('mutex');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('contend matrix runs the 30 cases of the staggered overlap table and says so', () => {
  const r = contend('matrix', '--json');
  expect(r.code).toBe(0);
  const report = JSON.parse(r.stdout);
  expect(report.passed).toBe(30);
  expect(report.rows).toHaveLength(30);
  expect(r.stderr).toContain('[30/30]');
});

test('contend crashpoints prints the table of a strategy', () => {
  const r = contend('crashpoints', '--strategy', 'truncate', '--items', '300', '--json');
  expect(r.code).toBe(0);
  const table = JSON.parse(r.stdout);
  expect(table.points.map((p: { state: string }) => p.state)).toContain('torn');
  expect(table.points[1].state).toBe('empty');
  const text = contend('crashpoints', '--strategy', 'atomic', '--items', '300');
  expect(text.stdout).toMatch(/^\d+ +rename <tmp> → state\.json +old +<tmp>$/m);
  // Its progress line is for a terminal; a log (stderr is a pipe here) gets none.
  expect(text.stderr).toBe('');
});

test('contend stress prints the stress table', () => {
  const r = contend('stress', '--strategies', 'atomic', '--scenarios', 'concurrent', '--kinds', 'thread', '--trials', '3');
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout.split('\n\n')[0]!)).toEqual({ concurrent_write: { atomic: 1 } });
  expect(r.stderr).toContain('atomic: concurrent, thread writers');
});

test('a write strategy of your own through --write-module', () => {
  const r = contend('crashpoints', '--write-module', 'cases/fixtures/append-strategy.ts#BackupThenOverwrite', '--strategy', 'backup-overwrite', '--items', '50');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^3 +write \d+ B to state\.json +empty +state\.json\.bak$/m);
});

test('contend fuzz runs the kill fuzz and reports the waves', () => {
  const r = contend('fuzz', '--waves', '1', '--json');
  expect(r.code).toBe(0);
  const report = JSON.parse(r.stdout);
  expect(report).toMatchObject({ lock: 'flock', write: 'atomic', children: 4, ok: true, violations: [] });
  expect(r.stderr).toMatch(/^wave 1: puts \d+ \d+ \d+ \d+ \(\d+ in all, \d+\/s\), kills 4, violations 0$/m);
});

test("the fuzz children's entry refuses to run without the fuzz's channel", () => {
  const r = spawnSync(process.execPath, ['dist/workers/fuzz-writer.js'], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status).toBe(2);
  expect(r.stderr).toBe('contend fuzz writer: start me through `contend fuzz` (an IPC channel is needed)\n');
});

test('contend locks lists whom each lock excludes, and the options it takes with their defaults', () => {
  const r = contend('locks');
  expect(r.stdout).toMatch(/^mutex +yes +yes +no +- +- /m);
  expect(r.stdout).toMatch(/^flock +yes +yes +yes +- +maxPollMs=8 /m);
  expect(r.stdout).toMatch(/^lockfile +yes +yes +yes +- +staleMs=10000 updateMs=1000 maxPollMs=8 /m);
  expect(r.stdout).toMatch(/^redis-lease .* url=\(a throwaway server\) maxPollMs=8 timeoutMs=10000 ttlMs=10000 /m);
  const json = JSON.parse(contend('locks', '--json').stdout) as { name: string; defaults: Record<string, unknown> }[];
  expect(json.find((l) => l.name === 'lockfile')?.defaults).toEqual({ staleMs: 10_000, updateMs: 1_000, maxPollMs: 8 });
});

test('a lockfile lock may be given its stale time alone', () => {
  const r = contend('run', '--lock', 'lockfile', '--lock-options', '{"staleMs":2000}', '--workers-kind', 'thread');
  expect(r.stderr).toBe('');
  expect(r.stdout).toMatch(/^verdict +PASS /m);
  expect(r.code).toBe(0);
});

test("contend locks says what a lock on a server needs here: the server's programs, unless the environment names a server", () => {
  const run = (env: NodeJS.ProcessEnv) => spawnSync(process.execPath, ['dist/lib/cli/main.js', 'locks', '--json'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, PATH: '/nonexistent', ...env } });
  const needs = (r: ReturnType<typeof run>) => Object.fromEntries((JSON.parse(r.stdout) as { name: string; needs: string[] }[]).map((l) => [l.name, l.needs]));
  const bare = needs(run({}));
  expect(bare['redis-lease']).toEqual(['apt-get install redis-server']);
  expect(bare['etcd-lease']).toEqual(['apt-get install etcd-server']);
  expect(bare.flock).toEqual([]);
  expect(needs(run({ CONTEND_REDIS_URL: 'redis://127.0.0.1:6379' }))['redis-lease']).toEqual([]);
});

describe('bad input: one clear line naming the allowed values, exit 2, nothing run', () => {
  test.each([
    [['run', '--workers', '0'], 'contend: invalid workers: 0; allowed: an integer from 1 to 64'],
    [['run', '--mode', 'period', '--period', '-1'], 'contend: invalid period: -1; allowed: a number of seconds above 0, at most 3600'],
    [['run', '--lock', 'foo'], 'contend: invalid lock: "foo"; allowed: none, spinlock, mutex, flock, lockfile, fs-ext, os-lock, npm-lockfile, pg-advisory, pg-advisory-xact, redis-lease, redlock, etcd-lease'],
    // A module where a name belongs: the line says how an adapter of your own is given.
    [['run', '--lock', './my-lock.ts#MyLock'], `contend: invalid lock: "./my-lock.ts#MyLock" (a lock of your own is { module: './my-lock.ts', export: 'MyLock' }, or its name once registerLock() has it; on the command line, --lock-module ./my-lock.ts#MyLock, then its name); allowed: none, spinlock, mutex, flock, lockfile, fs-ext, os-lock, npm-lockfile, pg-advisory, pg-advisory-xact, redis-lease, redlock, etcd-lease`],
    [['run', '--write', 'my-write.mjs'], `contend: invalid strategy: "my-write.mjs" (a strategy of your own is { module: './my-write.ts', export: 'MyWrite' }, or its name once registerWriteStrategy() has it; on the command line, --write-module ./my-write.ts#MyWrite, then its name); allowed: truncate, atomic, atomic-dirsync, atomic-sync, fixed-temp, write-file-atomic, atomically, steno, lowdb, conf`],
    // A word for a number is refused by the library's own check, with its range.
    [['sweep', '--quick', '--seed', 'x'], 'contend: invalid seed: "x"; allowed: an integer from 0 to 2147483647'],
    // Two reports to one place: one would be lost.
    [['sweep', '--quick', '--csv', '--json'], 'contend: options --json and --csv both print to standard output: give all but one of them a file (--csv report.csv)'],
    [['sweep', '--quick', '--csv', 'same.out', '--json', './same.out'], 'contend: options --json and --csv name one file, ./same.out: give each a file of its own'],
    [['run', '--workers-kind', 'fiber'], 'contend: invalid worker kind: "fiber"; allowed: async, thread, process'],
    [['run', '--order', 'sideways'], 'contend: invalid order: "sideways"; allowed: force-write, force-read, as-generated'],
    [['run', '--mode', 'fast'], 'contend: invalid mode: "fast"; allowed: step, period'],
    [['matrix', '--kinds', 'async,fiber'], 'contend: invalid kinds: "fiber"; allowed: async, thread, process'],
    [['schedule', '--format', 'yaml'], 'contend: invalid format: "yaml"; allowed: table, timeline, json, svg'],
    [['schedule', '--workers', '65'], 'contend: invalid workers: 65; allowed: an integer from 1 to 64'],
    [['crashpoints', '--strategy', 'yolo'], 'contend: invalid strategy: "yolo"; allowed: truncate, atomic, atomic-dirsync, atomic-sync, fixed-temp, write-file-atomic, atomically, steno, lowdb, conf'],
    [['crashpoints', '--items', '0'], 'contend: invalid items: 0; allowed: an integer from 1 to 100000'],
    [['stress', '--scenarios', 'fast'], 'contend: invalid scenarios: "fast"; allowed: interrupted, concurrent, rapid, constrained'],
    [['run', '--write', 'yolo'], 'contend: invalid strategy: "yolo"; allowed: truncate, atomic, atomic-dirsync, atomic-sync, fixed-temp, write-file-atomic, atomically, steno, lowdb, conf'],
    [['fuzz', '--children', '0'], 'contend: invalid children: 0; allowed: an integer from 1 to 64'],
    [['run', '--lock-module', 'nohash'], 'contend: invalid lock-module: "nohash"; allowed: MODULE#EXPORT, e.g. ./my-adapter.ts#myAdapter'],
    // An empty item of a comma list is a typo, not one item fewer: the run would miss a row.
    [['matrix', '--locks', 'none,,flock'], 'contend: invalid locks: ""; allowed: none, spinlock, mutex, flock, lockfile, fs-ext, os-lock, npm-lockfile, pg-advisory, pg-advisory-xact, redis-lease, redlock, etcd-lease'],
    [['matrix', '--kinds', 'async,'], 'contend: invalid kinds: ""; allowed: async, thread, process'],
    [['stress', '--strategies', 'truncate,,atomic'], 'contend: invalid strategies: ""; allowed: truncate, atomic, atomic-dirsync, atomic-sync, fixed-temp, write-file-atomic, atomically, steno, lowdb, conf'],
  ])('%j', (args, message) => {
    const before = caseDirs().length;
    const r = contend(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(message + '\n');
    expect(r.stdout).toBe('');
    expect(caseDirs().length).toBe(before);
  });

  const COMMAND_NAMES = 'schedule, run, matrix, explore, locks, crashpoints, stress, fuzz, powerloss, durability, audit, sweep, chaos, plot';
  const RUN_OPTIONS = '--json, --lock-module, --write-module, --workers, --mode, --period, --pattern, --seed, --granularity, --write, --calibrate, --lock-options, --workers-kind (or --kind), --lock, --order, --trace, --schedule, --replay';
  test.each([
    [['run', '--wrokers', '3'], `unknown option --wrokers for contend run; allowed: ${RUN_OPTIONS}`],
    [['run', '--kinds', 'thread'], `unknown option --kinds for contend run (did you mean --workers-kind?); allowed: ${RUN_OPTIONS}`],
    [['run', '-x', '--seeed', '3'], `unknown options -x, --seeed for contend run; allowed: ${RUN_OPTIONS}`],
    [['run', 'thread'], `unexpected argument "thread" for contend run; allowed: ${RUN_OPTIONS}`],
    [['matrix', '--kind', 'thread'], 'unknown option --kind for contend matrix (did you mean --kinds?); allowed: --json, --lock-module, --write-module, --workers, --mode, --period, --pattern, --seed, --granularity, --write, --calibrate, --lock-options, --kinds, --locks, --orders, --repeat, --cpu-load, --explore'],
    [['plot', 'a.csv', 'b.csv'], 'unexpected argument "b.csv" for contend plot; allowed: --json, --lock-module, --write-module, --out, --title'],
    [['matrx'], `unknown command "matrx" (did you mean matrix?); allowed: ${COMMAND_NAMES}`],
    [['matirx'], `unknown command "matirx" (did you mean matrix?); allowed: ${COMMAND_NAMES}`],
    [['rnu'], `unknown command "rnu" (did you mean run?); allowed: ${COMMAND_NAMES}`],
    // Three edits from "locks", which yargs would suggest: too far to be a typo of it.
    [['bogus'], `unknown command "bogus"; allowed: ${COMMAND_NAMES}`],
    [['--json', 'out.json', 'matrx'], `unknown command "matrx" (did you mean matrix?); allowed: ${COMMAND_NAMES}`],
    [['frobnicate'], `unknown command "frobnicate"; allowed: ${COMMAND_NAMES}`],
    // The parser's own refusals: bad input too, in one line, not a stack and exit status 1.
    [['run', '--workers'], 'option --workers of contend run needs a value (see contend run --help)'],
    [['plot'], 'missing argument of contend plot; usage: contend plot <file>'],
    [['run', '--lock-module'], 'invalid lock-module: nothing; allowed: MODULE#EXPORT, e.g. ./my-adapter.ts#myAdapter'],
    // yargs gave these '' or their default, and the command ran as if they had been left out.
    [['matrix', '--kinds'], 'option --kinds of contend matrix needs a value (see contend matrix --help)'],
    [['crashpoints', '--strategy'], 'option --strategy of contend crashpoints needs a value (see contend crashpoints --help)'],
    [['schedule', '--format', '--workers', '3'], 'option --format of contend schedule needs a value (see contend schedule --help)'],
    // Typed empty, or a flag given a word: yargs took the first for the option left out, the second for false.
    [['matrix', '--locks', ''], 'option --locks of contend matrix needs a value (see contend matrix --help)'],
    [['matrix', '--kinds='], 'option --kinds of contend matrix needs a value (see contend matrix --help)'],
    [['run', '--trace=1'], 'invalid trace: "1"; allowed: true or false, or the option alone'],
    [['matrix', '--explore=maybe'], 'invalid explore: "maybe"; allowed: true or false, or the option alone'],
    [['explore', '--lock', 'flock', '--stopAtFailure=1'], 'invalid stopAtFailure: "1"; allowed: true or false, or the option alone'],
    [['run', '--json='], 'option --json of contend run names no file: give one, or --json alone to print the report'],
    [['durability', '--strategies', 'atomic,atomic'], 'invalid strategy: ["atomic","atomic"]; allowed: each of truncate, atomic, atomic-dirsync, atomic-sync, fixed-temp, write-file-atomic, atomically, steno, lowdb, conf at most once'],
    [['run', '--schedule', 'x.json', '--pattern', 'random'], 'options --schedule and --pattern of contend run cannot be given together (see contend run --help)'],
    [['schedule', '--json', '--format', 'timeline'], '--json prints the schedule as JSON, --format timeline as timeline: give one (or --json FILE to write the JSON to a file)'],
    [['matrix', '--locks', 'none,flock,none'], 'invalid locks: ["none","flock","none"]; allowed: each of none, spinlock, mutex, flock, lockfile, fs-ext, os-lock, npm-lockfile, pg-advisory, pg-advisory-xact, redis-lease, redlock, etcd-lease at most once'],
    [['run', '--lock', 'lockfile', '--lock-options', '{"staleMs":3000,"updateMs":2000}'], 'invalid lockfile lock option updateMs: 2000; allowed: an integer from 1000 to half of staleMs (1500)'],
    [['explore'], 'name what to explore: --lock NAME (see contend locks; yours: --lock-module), --strategy NAME (yours: --write-module with --strategy), or --ops MODULE#EXPORT (see contend explore --help)'],
    // It takes no options: one given was dropped without a word.
    [['run', '--lock-options', '{"staleMs":1}'], 'invalid none lock option: "staleMs"; allowed: nothing (it takes no options)'],
    [['run', '--lock', 'mutex', '--lock-options', '{"maxPollMs":8}'], 'invalid mutex lock option: "maxPollMs"; allowed: nothing (it takes no options)'],
  ])('an unknown option or command is refused, naming what is allowed: %j', (args, message) => {
    const r = contend(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`contend: ${message}\n`);
    expect(r.stdout).toBe('');
  });

  test('a report file may be left out: --csv alone prints the CSV, and a --json FILE beside it is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'contend-outputs-'));
    try {
      const file = join(dir, 'sweep.json');
      const r = contend('sweep', '--writers', '1', '--writer-rates', '20', '--overlaps', '0.2', '--readers', '0', '--duration', '0.3', '--csv', '--json', file);
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n')[0]).toMatch(/^config_label,num_writers,num_readers,/);
      expect(r.stderr).toContain(`written: ${file}\n`);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toHaveProperty('results');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--version prints the version of package.json, wherever it is typed', () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    for (const args of [['--version'], ['run', '--version']]) {
      const r = contend(...args);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
    }
  });

  test('run takes --kind for --workers-kind, as sweep names it', () => {
    const r = contend('run', '--kind', 'thread', '--lock', 'mutex');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('thread × mutex × force-write');
  });

  test('explore and powerloss take --workers-kind for --kind, as run names it', () => {
    const explored = contend('explore', '--workers-kind', 'process', '--lock', 'flock', '--workers', '2', '--json');
    expect(explored.code).toBe(0);
    expect(JSON.parse(explored.stdout)).toMatchObject({ kind: 'process', verdict: 'pass' });
    const refused = contend('powerloss', '--workers-kind', 'fibre');
    expect(refused.stderr).toMatch(/^contend: invalid kind: "fibre"; allowed: async, thread, process/);
    expect(refused.code).toBe(2);
  });
});

test.each(['schedule', 'run', 'matrix', 'locks', 'crashpoints', 'stress', 'fuzz', 'durability', 'sweep', 'chaos', 'plot'])('%s --help', (command) => {
  const r = contend(command, '--help');
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`contend ${command}`);
});
