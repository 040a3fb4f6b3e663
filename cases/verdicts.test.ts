import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { caseDirs } from './support/leftovers.js';

// The exit status is part of the verdict: 0 everything passed, 1 any FAIL, ERROR, violation or
// report that could not be written, 2 bad input. Each is checked on the built CLI, run as a user
// runs it, with adapters of the user's own loaded by module.

const LIAR = 'cases/fixtures/liar-lock.ts#LiarLockAdapter';
const BROKEN = 'cases/fixtures/env-strategies.ts#Broken';
const FULL_DISK = 'cases/fixtures/env-strategies.ts#FullDisk';

function contend(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['dist/lib/cli/main.js', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const scratch = mkdtempSync(join(tmpdir(), 'verdicts-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.each(['async', 'thread', 'process'] as const)('%s workers', (kind) => {
  test('a lock that claims to exclude and does not: FAIL, exit status 1', () => {
    const r = contend('run', '--workers-kind', kind, '--lock-module', LIAR, '--lock', 'liar');
    expect(r.stdout).toMatch(/^verdict {3}FAIL/m);
    expect(r.code).toBe(1);
  });

  test('a lock that keeps its word: PASS, exit status 0', () => {
    const r = contend('run', '--workers-kind', kind, '--lock', 'flock');
    expect(r.stdout).toMatch(/^verdict {3}PASS/m);
    expect(r.code).toBe(0);
  });

  test('a full disk is an ERROR naming the errno, worker and action, not a FAIL', () => {
    const r = contend('run', '--workers-kind', kind, '--lock', 'flock', '--write-module', FULL_DISK, '--write', 'full-disk');
    expect(r.stderr).toMatch(/^contend: worker 1 threw during 'write': Error: ENOSPC: no space left on device/);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(1);
  });

  // As `contend matrix 2>&1 | head -1` ends it: its next progress line meets EPIPE, which ends
  // the CLI at once, whatever it was doing (making the next case's directory, say).
  test('its output closed after the first progress line: exit status 1, and no directory left behind', async () => {
    const tmp = mkdtempSync(join(scratch, `epipe-${kind}-`));
    const cli = spawn(process.execPath, ['dist/lib/cli/main.js', 'matrix', '--kinds', kind, '--locks', 'none,mutex'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, TMPDIR: tmp },
    });
    cli.stderr.once('data', () => cli.stderr.destroy());
    const [code] = (await once(cli, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(readdirSync(tmp)).toEqual([]);
  });

  test('its stdout closed before the report: exit status 1, quietly', async () => {
    const cli = spawn(process.execPath, ['dist/lib/cli/main.js', 'run', '--workers-kind', kind, '--lock', 'flock'], { stdio: ['ignore', 'pipe', 'pipe'] });
    cli.stdout.destroy();
    let stderr = '';
    cli.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const [code] = (await once(cli, 'close')) as [number | null];
    expect(stderr).toBe('');
    expect(code).toBe(1);
  });

  test('its stdout on a full disk: exit status 1, said in one line, not a stack', () => {
    const full = openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, ['dist/lib/cli/main.js', 'run', '--workers-kind', kind, '--lock', 'flock'], { stdio: ['ignore', full, 'pipe'], encoding: 'utf8' });
      expect(r.stderr).toBe('contend: the report could not be written to standard output: ENOSPC\n');
      expect(r.status).toBe(1);
    } finally {
      closeSync(full);
    }
  });

  test('a failing case with --json FILE: the report is written, and the status is still 1', () => {
    const file = join(scratch, `liar-${kind}.json`);
    const r = contend('run', '--workers-kind', kind, '--lock-module', LIAR, '--lock', 'liar', '--json', file);
    expect(r.stdout).toContain(`written: ${file}`);
    expect(r.code).toBe(1);
  });
});

test('async workers: an adapter that busy-waits is interrupted, reported by worker and action, cleaned up, exit status 1', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'busy-'));
  try {
    const r = spawnSync(process.execPath, ['dist/lib/cli/main.js', 'run', '--workers-kind', 'async', '--lock-module', 'cases/fixtures/faulty-locks.ts#BusyLockAdapter', '--lock', 'busy'], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, TMPDIR: tmp },
    });
    expect(r.stderr).toMatch(/^contend: worker 2 blocked the event loop during 'write': its tryAcquire\(\) did not return for \d+ ms; contend interrupted it$/m);
    expect(r.status).toBe(1);
    expect(readdirSync(tmp)).toEqual([]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('contend matrix: a lying lock fails every case of every kind, exit status 1', () => {
  const r = contend('matrix', '--lock-module', LIAR, '--locks', 'liar');
  expect(r.stdout).toMatch(/^0 passed, 6 failed in /m);
  // Each failed row says how to rerun it, and its replay gives the same FAIL.
  const reruns = r.stdout.split('to rerun a row that did not pass:\n')[1]!.split('\n\n')[0]!.split('\n');
  expect(reruns.map((line) => line.split(':')[0])).toEqual(['  async liar force-write', '  async liar force-read', '  thread liar force-write', '  thread liar force-read', '  process liar force-write', '  process liar force-read']);
  const replay = /contend run --replay '(.*)'$/.exec(reruns[5]!)![1]!;
  const again = contend('run', '--replay', replay);
  expect(again.stdout).toMatch(/^verdict +FAIL/m);
  expect(again.code).toBe(1);
  expect(r.code).toBe(1);
});

test('contend matrix on a full disk: every row an ERROR with ENOSPC, none a FAIL, exit status 1', () => {
  const r = contend('matrix', '--locks', 'flock', '--kinds', 'async,process', '--write-module', FULL_DISK, '--write', 'full-disk', '--json');
  const report = JSON.parse(r.stdout) as { rows: { verdict: string; error?: string; code?: string; replay?: string; expected: string[]; ms: number }[]; failed: number; errors: number };
  expect(report.rows.map((row) => row.verdict)).toEqual(['error', 'error', 'error', 'error']);
  expect([report.failed, report.errors]).toEqual([4, 4]);
  for (const row of report.rows) {
    expect(row.error).toMatch(/^worker 1 threw during 'write': Error: ENOSPC/);
    expect(row.code).toBe('E_WORKER_FAULT');
    expect(row.replay).toMatch(/^runCase\(\{.*"write":\{"module":.*\ncontend run --replay '/);
    // No run ended, yet the row says what flock was expected to give, and how long the run took to err.
    expect(row.expected).toEqual(Array(5).fill('intact'));
    expect(row.ms).toBeGreaterThan(0);
  }
  expect(r.code).toBe(1);
});

test('a run that errors still gives --json a document: the code, each fault and the replay, on stdout or in the file named', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'contend-json-error-'));
  try {
    const printed = contend('run', '--write-module', FULL_DISK, '--write', 'full-disk', '--json');
    expect(printed.code).toBe(1);
    const { error } = JSON.parse(printed.stdout) as { error: { code: string; message: string; faults: { worker: number; action: string }[]; replay: string } };
    expect(error.code).toBe('E_WORKER_FAULT');
    expect(error.faults[0]).toMatchObject({ worker: 1, action: 'write' });
    expect(error.message).toMatch(/^worker 1 threw during 'write': Error: ENOSPC/);
    expect(error.replay).toMatch(/^runCase\(/);
    // The same error is said on stderr, as without --json.
    expect(printed.stderr).toMatch(/^contend: worker 1 threw during 'write': Error: ENOSPC/);
    const file = join(tmp, 'run.json');
    const written = contend('run', '--write-module', FULL_DISK, '--write', 'full-disk', '--json', file);
    expect(written.code).toBe(1);
    expect((JSON.parse(readFileSync(file, 'utf8')) as { error: { code: string } }).error.code).toBe('E_WORKER_FAULT');
    // Bad input gets no document: nothing ran.
    const bad = contend('run', '--lock', 'nope', '--json');
    expect([bad.code, bad.stdout]).toEqual([2, '']);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('a report that cannot be written after the run is an error of the run: exit status 1, one line', () => {
  const r = contend('run', '--lock', 'flock', '--json', '/dev/full');
  expect(r.stderr).toMatch(/^contend: cannot write the json output \/dev\/full: ENOSPC: no space left on device/);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.code).toBe(1);
});

test('contend fuzz: children that cannot save end the run as an error, exit status 1; they load the adapter of the user', () => {
  const r = contend('fuzz', '--waves', '1', '--write-module', BROKEN, '--write', 'broken');
  // Every child that ended is named, each with its status.
  expect(r.stderr).toMatch(/^(contend: )?child \d ended before the kill: exited with code 1; stderr: this strategy is broken$/m);
  expect(r.code).toBe(1);
});

test('contend crashpoints: a strategy that throws is an error, exit status 1', () => {
  const r = contend('crashpoints', '--write-module', BROKEN, '--strategy', 'broken', '--items', '10');
  expect(r.stderr).toMatch(/^contend: broken failed: this strategy is broken \(at cases\/fixtures\/env-strategies\.ts:\d+:\d+\)$/m);
  expect(r.code).toBe(1);
});

test('contend stress: a strategy that throws is an error, exit status 1', () => {
  const r = contend('stress', '--write-module', BROKEN, '--strategies', 'broken', '--scenarios', 'concurrent', '--kinds', 'async', '--trials', '1');
  expect(r.stderr).toMatch(/^contend: worker \d threw during 'write': Error: this strategy is broken \(at cases\/fixtures\/env-strategies\.ts:\d+:\d+\)$/m);
  expect(r.code).toBe(1);
});

test('contend audit: a scenario that gives no answer (an error cell) makes the status 1', () => {
  const r = contend('audit', '--write-module', BROKEN, '--libraries', 'broken', '--properties', 'fsyncs-data');
  expect(r.stdout).toMatch(/^broken +- +error$/m);
  expect(r.code).toBe(1);
});

test('contend sweep: broken isolation is a violation, exit status 1', () => {
  const r = contend('sweep', '--writers', '2', '--writer-rates', '200', '--overlaps', '1', '--readers', '0', '--duration', '0.5', '--cas', 'unlocked', '--kind', 'thread');
  expect(r.stdout).toMatch(/duplicate-version/);
  expect(r.code).toBe(1);
});

// Under a small process limit a child cannot be started (spawn EAGAIN) or cannot start its
// threads: the run must say so and end, not wait for a child that never comes. RLIMIT_NPROC does
// not bind root, so the CLI runs as nobody.
const asNobody = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;
test.skipIf(!asNobody).for([12, 16])('contend fuzz under a process limit of %i: the children that cannot start are named, and the run ends with status 1', (limit, ctx) => {
  // Node's own threads count against the limit, and their number grows with the cores: where
  // node itself cannot start under it, there is nothing to see of contend.
  const bare = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'bash', '-c', `ulimit -u ${limit}; exec ${process.execPath} -e 0`], { timeout: 10_000 });
  if (bare.status !== 0) ctx.skip();
  const tmp = mkdtempSync(join(tmpdir(), 'nproc-'));
  try {
    // nobody must reach its directory: through this file's own temp directory (traverse only).
    chmodSync(tmpdir(), 0o711);
    chmodSync(tmp, 0o777);
    const script = `ulimit -u ${limit}; cd ${tmp} && exec ${process.execPath} ${join(process.cwd(), 'dist/lib/cli/main.js')} fuzz --waves 1`;
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'bash', '-c', script], { encoding: 'utf8', timeout: 90_000, env: { ...process.env, TMPDIR: tmp } });
    expect(r.stderr).toMatch(/^contend: child \d ended before the kill: (could not start: spawn \S+ EAGAIN|killed by SIGABRT)/);
    expect(r.status).toBe(1);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

describe('bad input: one line naming what is allowed, exit status 2, nothing run and nothing left', () => {
  test.each([
    [['run', '--workers-kind', 'process', '--json', '/proc/x.json'], 'contend: invalid json: "/proc/x.json" (ENOENT: no such file or directory); allowed: a file that can be written, in an existing directory'],
    [['stress', '--json', '/proc/x.json'], 'contend: invalid json: "/proc/x.json" (ENOENT: no such file or directory); allowed: a file that can be written, in an existing directory'],
    [['audit', '--json', '/proc/x.json'], 'contend: invalid json: "/proc/x.json" (ENOENT: no such file or directory); allowed: a file that can be written, in an existing directory'],
    [['audit', '--json', tmpdir()], `contend: invalid json: "${tmpdir()}" (a directory); allowed: a file that can be written, in an existing directory`],
    [['audit', '--markdown', '/nowhere/audit.md'], 'contend: invalid markdown: "/nowhere/audit.md" (no directory /nowhere); allowed: a file that can be written, in an existing directory'],
    [['sweep', '--quick', '--csv', '/proc/x.csv'], 'contend: invalid csv: "/proc/x.csv" (ENOENT: no such file or directory); allowed: a file that can be written, in an existing directory'],
    [['sweep', '--quick', '--plot', '/proc/x'], 'contend: invalid plot: "/proc/x" (ENOENT: no such file or directory, in /proc); allowed: a directory where files can be written (made if missing)'],
    [['plot', 'cases/fixtures/small-sweep.csv', '--out', '/proc/x'], 'contend: invalid out: "/proc/x" (ENOENT: no such file or directory, in /proc); allowed: a directory where files can be written (made if missing)'],
    [['matrix', '--workers', 'NaN'], 'contend: invalid workers: "NaN"; allowed: an integer from 1 to 64'],
    [['matrix', '--mode', 'bogus'], 'contend: invalid mode: "bogus"; allowed: step, period'],
    [['matrix', '--pattern', 'bogus'], 'contend: invalid pattern: "bogus"; allowed: staggered, random'],
    [['matrix', '--granularity', 'bogus'], 'contend: invalid granularity: "bogus"; allowed: lifetime, operation'],
    [['matrix', '--write', 'bogus'], 'contend: invalid strategy: "bogus"; allowed: truncate, atomic, atomic-dirsync, atomic-sync, fixed-temp, write-file-atomic, atomically, steno, lowdb, conf'],
    [['matrix', '--cpu-load', '-1'], /^contend: invalid cpu-load \(busy threads, at most 4 per core\): -1; allowed: an integer from 0 to \d+$/],
    [['matrix', '--cpu-load', 'abc'], /^contend: invalid cpu-load \(busy threads, at most 4 per core\): "abc"; allowed: an integer from 0 to \d+$/],
    [['matrix', '--cpu-load', '1.5'], /^contend: invalid cpu-load \(busy threads, at most 4 per core\): 1.5; allowed: an integer from 0 to \d+$/],
    [['matrix', '--cpu-load', '1000'], /^contend: invalid cpu-load \(busy threads, at most 4 per core\): 1000; allowed: an integer from 0 to \d+$/],
    [['stress', '--seed', 'abc'], 'contend: invalid seed: "abc"; allowed: an integer from -9007199254740991 to 9007199254740991'],
    [['fuzz', '--seed', 'abc'], 'contend: invalid seed: "abc"; allowed: an integer from -9007199254740991 to 9007199254740991'],
    [['explore', '--lock', 'flock', '--seed', '7'], 'contend: invalid seed: "7" (search dfs takes no seed); allowed: seed with search pct or random'],
    [['explore', '--lock', 'flock', '--search', 'pct', '--preemptions', '3'], 'contend: invalid preemptions: 3 (search pct takes no preemptions); allowed: preemptions with search dfs'],
    [['explore', '--replay', '{"strategy":"truncate","kind":"async","workers":2,"replay":[1,2]}', '--depth', '5'], 'contend: options --replay and --depth of contend explore cannot be given together (see contend explore --help)'],
    [['explore', '--replay', '{"strategy":"truncate","kind":"async","workers":2,"replay":[1,2]}', '--no-reduce'], 'contend: options --replay and --reduce of contend explore cannot be given together (see contend explore --help)'],
    [['audit', '--libraries', 'lockfile', '--lock-options', '{"staleMs":-5}'], 'contend: invalid lockfile lock option staleMs: -5; allowed: an integer from 2000 to 2147483647'],
    [['audit', '--libraries', 'lockfile', '--lock-options', '{"stale":5000}'], 'contend: invalid lockfile lock option: "stale"; allowed: staleMs, updateMs, maxPollMs'],
    [['audit', '--libraries', 'flock', '--lock-options', '{"maxPollMs":"8"}'], 'contend: invalid flock lock option maxPollMs: "8"; allowed: a finite number'],
    [['crashpoints', '--items', '1e9'], 'contend: invalid items: 1000000000; allowed: an integer from 1 to 100000'],
    [['run', '--mode', 'period', '--period', '1e9'], 'contend: invalid period: 1000000000; allowed: a number of seconds above 0, at most 3600'],
    [['run', '--period', 'abc'], 'contend: invalid period: "abc"; allowed: a number of seconds above 0, at most 3600'],
    [['run', '--workers', 'abc'], 'contend: invalid workers: "abc"; allowed: an integer from 1 to 64'],
    [['chaos', '--from', 'cases/fixtures/bad-cell.csv'], 'contend: cases/fixtures/bad-cell.csv row 2, column write_tps: "fast" is not a number'],
    // A sweep of a lock of the user's names it; chaos must be given its module again.
    [['chaos', '--from', 'cases/fixtures/own-lock-sweep.csv'], 'contend: invalid lock: "my-lock" (named by the best config of cases/fixtures/own-lock-sweep.csv; a lock of your own is loaded with --lock-module FILE#EXPORT, as for the sweep); allowed: none, spinlock, mutex, flock, lockfile, fs-ext, os-lock, npm-lockfile, pg-advisory, pg-advisory-xact, redis-lease, redlock, etcd-lease'],
    [['plot', 'cases/fixtures/bad-cell.csv'], 'contend: cases/fixtures/bad-cell.csv row 2, column write_tps: "fast" is not a number'],
    [['plot', 'cases/fixtures/header-only.csv'], 'contend: cases/fixtures/header-only.csv has a header and no rows: there is nothing to plot'],
    [['run', '--lock-module', './missing.ts#X'], `contend: cannot import --lock-module ./missing.ts: there is no file ${join(process.cwd(), 'missing.ts')}`],
    [['run', '--lock-module', 'cases/fixtures/liar-lock.ts#Nope'], 'contend: no export "Nope" in lock module cases/fixtures/liar-lock.ts; it exports LiarLockAdapter, NotALockAdapter'],
    [['run', '--write-module', 'no-such-package#X'], `contend: cannot import --write-module no-such-package: no file ${join(process.cwd(), 'no-such-package')}, and no package no-such-package installed for ${process.cwd()}`],
    ...(['async', 'thread', 'process'] as const).map((kind): [string[], string] => [
      ['run', '--workers-kind', kind, '--lock-module', 'cases/fixtures/liar-lock.ts#NotALockAdapter', '--lock', 'not-a-lock'],
      'contend: lock adapter "not-a-lock": create() returned number 42, not a lock (missing tryAcquire, acquire, release(); a lock has tryAcquire(), acquire(), release())',
    ]),
  ] as [string[], string | RegExp][])('%j', (args, message) => {
    const dirs = caseDirs().length;
    const r = contend(...args);
    expect(r.stderr.trimEnd()).toMatch(typeof message === 'string' ? new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : message);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(2);
    expect(caseDirs().length).toBe(dirs);
  });

  test('--no-calibrate, as the help says, keeps the period', () => {
    const help = contend('matrix', '--help');
    expect(help.stdout).toContain('--no-calibrate');
    const r = contend('run', '--mode', 'period', '--period', '0.001', '--no-calibrate', '--json');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { case: { calibrate: boolean }; calibration?: unknown };
    expect(result.case.calibrate).toBe(false);
    expect(result.calibration).toBeUndefined();
  });
});
