import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { describe, expect, test } from 'vitest';
import { docBlock } from './support/docs.js';
import '../lib/vitest/index.js';
import { explore, type ExploreOptions, type ExploreResult } from '../lib/explore/index.js';
import { registerLock, runMatrix, unregisterLock, WorkerFaultError } from '../lib/index.js';
import { hostProcesses } from './support/leftovers.js';
import { runAudit } from '../lib/audit/audit.js';
import { fdTargets } from '../lib/servers/process.js';
import { withStretchedClock } from '../lib/explore/clock.js';
import { runSchedule } from '../lib/explore/run.js';
import { START } from '../lib/explore/point.js';
import { ABANDON, GO, GRANT_SEQ, GRANT_WORD } from '../lib/explore/protocol.js';
import type { ActorLink, Actors } from '../lib/explore/actors.js';
import type { Announcement } from '../lib/explore/protocol.js';
import type { LoadedSubject } from '../lib/explore/subjects.js';

// contend explore runs real actors (async tasks, worker_threads, child processes) and stops each at
// every fs call, lock entry and exit; these tests hold it to what it claims: every interleaving
// counted, races found in every run without pause points, sound locks never faulted, the
// shrunk schedule replaying exactly.

const OPS = './cases/fixtures/explore-ops.ts';
const CHECK_THEN_ACT = { module: './cases/fixtures/check-then-act-lock.ts', export: 'CheckThenActLockAdapter' };
const EXCL = { module: './cases/fixtures/excl-lock.ts', export: 'ExclusiveFileLockAdapter' };
const ops = (name: string): ExploreOptions['ops'] => ({ module: OPS, export: name });
/** `contend explore ARGS`, the built CLI as a child process. */
const contend = (...args: string[]) => spawnSync(process.execPath, ['dist/lib/cli/main.js', 'explore', ...args], { encoding: 'utf8', timeout: 120_000 });

const forbidden = (r: ExploreResult): string[] => r.outcomes.filter((o) => o.grade === 'forbidden').map((o) => o.outcome);
const outcomes = (r: ExploreResult): string[] => r.outcomes.map((o) => o.outcome);

describe('every interleaving, counted', () => {
  test.each(['async', 'thread', 'process'] as const)('%s: 2 actors × 3 calls on one file give the C(6,3) = 20 interleavings', async (kind) => {
    const r = await explore({ ops: ops('threeAppends'), kind, workers: 2, reduce: false, preemptions: 6 });
    expect(r.schedules).toBe(20);
    expect(r.exhaustive).toBe(true);
    expect(r.outcomes).toEqual([{ outcome: 'ok', grade: 'acceptable', count: 20 }]);
  });

  test('3 actors × 2 calls give 6!/(2!·2!·2!) = 90', async () => {
    const r = await explore({ ops: ops('twoAppends'), kind: 'thread', workers: 3, reduce: false, preemptions: 6 });
    expect(r.schedules).toBe(90);
    expect(r.exhaustive).toBe(true);
  });

  test('reduction: calls on unrelated files commute, so one schedule stands for all, and it says how many it cut', async () => {
    const full = await explore({ ops: ops('threeOwnAppends'), kind: 'async', workers: 2, reduce: false, preemptions: 6 });
    const reduced = await explore({ ops: ops('threeOwnAppends'), kind: 'async', workers: 2, preemptions: 6 });
    expect(full.schedules).toBe(20);
    expect(reduced.schedules).toBe(1);
    expect(reduced.pruned).toBeGreaterThan(0);
    expect(outcomes(reduced)).toEqual(outcomes(full));
  });

  test('the preemption bound counts: bound 0 runs each actor to its end, one order per first mover', async () => {
    const r = await explore({ ops: ops('threeAppends'), kind: 'async', workers: 2, reduce: false, preemptions: 0 });
    expect(r.schedules).toBe(2);
  });
});

test("doc/explore.md's sample failure is what explore prints for that lock: its header and every timeline line it shows", async () => {
  const r = await explore({ lock: CHECK_THEN_ACT, kind: 'process', workers: 2 });
  const doc = readFileSync('doc/explore.md', 'utf8');
  const from = doc.indexOf('$ npx contend explore --lock-module ./my-lock.ts#CheckThenActLockAdapter --kind process');
  const shown = doc.slice(from, doc.indexOf('```', from)).split('\n');
  expect(shown).toContain(`FAIL: ${r.failure!.outcome}, in ${r.failure!.steps.length} steps with ${r.failure!.preemptions} preemptions:`);
  const steps = shown.filter((line) => /^ +\d+ /.test(line));
  expect(steps.length).toBeGreaterThan(5);
  const timeline = r.failure!.timeline.split('\n');
  for (const line of steps) expect(timeline).toContain(line);
});

describe.each(['thread', 'process'] as const)('found in every run, %s actors', (kind) => {
  test('the check-then-act lock: forbidden, shrunk to at most 2 preemptions, and its replay gives the same outcome 100 times out of 100', async () => {
    const r = await explore({ lock: CHECK_THEN_ACT, kind, workers: 2 });
    expect(r.verdict).toBe('fail');
    expect(r.failure).toBeDefined();
    expect(r.failure!.preemptions).toBeLessThanOrEqual(2);
    const literal = JSON.parse(r.failure!.replay.split('\n')[0]!.replace(/^explore\((.*)\)$/, '$1')) as ExploreOptions;
    const again = await explore({ ...literal, budget: 100 });
    expect(again.schedules).toBe(100);
    expect(again.outcomes).toEqual([{ outcome: r.failure!.outcome, grade: 'forbidden', count: 100 }]);
  });

  test('a lock that claims to exclude and excludes nothing: two holders at once, forbidden, shrunk to one preemption', async () => {
    const r = await explore({ lock: { module: './cases/fixtures/liar-lock.ts', export: 'LiarLockAdapter' }, kind, workers: 2 });
    expect(forbidden(r)).toContain('[overwritten, intact] 2 held at once');
    expect(r.failure!.preemptions).toBe(1);
  });

  test.each(['none', 'spinlock'])('%s: two writers meet inside what should be the critical section', async (lock) => {
    const r = await explore({ lock, kind, workers: 2 });
    expect(outcomes(r).some((o) => o.includes('held at once'))).toBe(true);
    expect(outcomes(r)).toContain('[overwritten, intact] 2 held at once');
  });

  test('a read-modify-write increment without a lock loses an update', async () => {
    const r = await explore({ ops: ops('increment'), kind, workers: 2 });
    expect(forbidden(r)).toEqual(['lost update']);
    expect(r.failure!.preemptions).toBe(1);
  });

  test("truncate: a reader sees the half-written file", async () => {
    const r = await explore({ strategy: 'truncate', kind, workers: 2 });
    expect(forbidden(r).some((o) => o.includes('torn'))).toBe(true);
  });

  test.each(['fixed-temp', 'steno', 'lowdb'])('%s: two saves share one temp name, and the second rename fails with ENOENT', async (strategy) => {
    // Stopped at the first: steno retries a failed rename ten times, 100 ms apart, in every
    // schedule that fails, and the point is that one does.
    const r = await explore({ strategy, kind, workers: 2, stopAtFailure: true });
    expect(forbidden(r).some((o) => o.includes('save failed ENOENT'))).toBe(true);
  });

  test('atomic (a temp file of its own, then rename): no reader ever sees a torn or missing file', async () => {
    const r = await explore({ strategy: 'atomic', kind, workers: 2 });
    expect(r.exhaustive).toBe(true);
    expect(r.verdict).toBe('pass');
  });
});

test('mutex does not reach other processes: the race is found, and the table calls it expected, not forbidden', async () => {
  const r = await explore({ lock: 'mutex', kind: 'process', workers: 2 });
  expect(outcomes(r)).toContain('[overwritten, intact] 2 held at once');
  expect(r.verdict).toBe('pass');
});

describe('never found, exhaustively at preemption bound 2', () => {
  // Three actors run as async actors where the kind does not matter to the lock (its calls are
  // sync, or its lock the kernel's): the same interleavings of the actor's awaited calls, at a
  // fraction of a thread's cost per schedule.
  const cases: [string, ExploreOptions][] = [
    ['flock, 2 processes', { lock: 'flock', kind: 'process', workers: 2 }],
    ['flock, 3 async actors', { lock: 'flock', kind: 'async', workers: 3 }],
    ['lockfile, 2 processes', { lock: 'lockfile', kind: 'process', workers: 2 }],
    ['lockfile, 3 async actors', { lock: 'lockfile', kind: 'async', workers: 3 }],
    ['an O_EXCL lock file, 2 processes', { lock: EXCL, kind: 'process', workers: 2 }],
    ['an O_EXCL lock file, 3 async actors', { lock: EXCL, kind: 'async', workers: 3 }],
    ['mutex, 3 async actors', { lock: 'mutex', kind: 'async', workers: 3 }],
    ['mutex, 2 threads', { lock: 'mutex', kind: 'thread', workers: 2 }],
    ['mutex, 3 threads', { lock: 'mutex', kind: 'thread', workers: 3 }],
    ['the increment under flock, 2 processes', { ops: ops('lockedIncrement'), lock: 'flock', kind: 'process', workers: 2 }],
    ['the increment under flock, 3 async actors', { ops: ops('lockedIncrement'), lock: 'flock', kind: 'async', workers: 3 }],
  ];

  test.each(cases)('%s', async (_name, options) => {
    const r = await explore(options);
    expect(r.exhaustive).toBe(true);
    expect(r.verdict).toBe('pass');
    expect(outcomes(r).every((o) => o === '[intact ×2]' || o === '[intact ×3]' || o === 'all counted')).toBe(true);
  });
});

test("doc/explore.md's counter, as a user copies it: the bare increment loses an update, the one under flock never does", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'explore-doc-'));
  try {
    const file = join(dir, 'counter.ts');
    writeFileSync(file, docBlock('doc/explore.md', 'counter.ts'));
    const bare = await explore({ ops: { module: file, export: 'increment' }, kind: 'thread', workers: 2 });
    expect(forbidden(bare)).toEqual(['lost update']);
    const locked = await explore({ ops: { module: file, export: 'lockedIncrement' }, lock: 'flock', kind: 'process', workers: 2 });
    expect(locked.exhaustive).toBe(true);
    expect(outcomes(locked)).toEqual(['all counted']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the vitest matcher passes a clean exploration, and fails a forbidden one with the table, the timeline and the replay', async () => {
  const clean = await explore({ ops: ops('lockedIncrement'), kind: 'async', workers: 2, lock: 'mutex' });
  const lost = await explore({ ops: ops('increment'), kind: 'async', workers: 2 });
  expect(clean).toHaveNoForbiddenOutcome();
  expect(lost).not.toHaveNoForbiddenOutcome();
  expect(() => expect(lost).toHaveNoForbiddenOutcome()).toThrow(/lost update[\s\S]*first forbidden, shrunk to 1 preemption:\nstep  actor 1[\s\S]*replay:\nexplore\(\{"ops"/);
  expect(() => expect(Promise.resolve(lost)).toHaveNoForbiddenOutcome()).toThrow('expected the result of explore(), got a promise (await explore(...) first)');
});

describe('determinism', () => {
  test('the same options explore the same schedules: the same counts and the same shrunk failure', async () => {
    const a = await explore({ lock: CHECK_THEN_ACT, kind: 'thread', workers: 3, preemptions: 1 });
    const b = await explore({ lock: CHECK_THEN_ACT, kind: 'thread', workers: 3, preemptions: 1 });
    expect(b.outcomes).toEqual(a.outcomes);
    expect(b.schedules).toBe(a.schedules);
    expect(b.failure?.steps).toEqual(a.failure?.steps);
  });

  test('an actor that behaves otherwise under the same choices stops the search, named with why', async () => {
    const run = explore({ ops: ops('remembersEarlierSchedules'), kind: 'async', workers: 3 });
    await expect(run).rejects.toMatchObject({ code: 'E_NONDETERMINISM' });
    await expect(explore({ ops: ops('remembersEarlierSchedules'), kind: 'async', workers: 3 })).rejects.toThrow(/step \d+ went otherwise than on an earlier run \(actors able to move were [\d,]+, now [\d,]+: actor 2 (then|now) ended\)/);
  });

  test("a replay whose later runs go otherwise says so, rather than counting their outcome as the schedule's", async () => {
    const replay: ExploreOptions = { ops: ops('leavesAfterFirstSchedule'), kind: 'async', workers: 2, replay: [1, 1, 2, 2] };
    expect((await explore(replay)).outcomes).toEqual([{ outcome: 'ok', grade: 'acceptable', count: 1 }]);
    // Run 2 differs from its first step on: actor 2, which could move there in run 1, has ended.
    await expect(explore({ ...replay, budget: 2 })).rejects.toThrow(/^step 1 went otherwise than on an earlier run \(run 2 of the replay: actors able to move were 1,2, now 1: actor 2 now ended\)/);
    await expect(explore({ ...replay, replay: [1, 1, 2, 2, 2] })).rejects.toThrow(/^the replay's run ended \(complete\) with 1 of its 5 steps left: it is not this subject's schedule/);
  });

  test.each(['async', 'thread', 'process'] as const)('%s: a replay whose later run makes another call with the same actors able to move says which, at which step', async (kind) => {
    const replay: ExploreOptions = { ops: ops('callsOtherwiseAfterFirstSchedule'), kind, workers: 2, replay: [1, 1, 2, 2] };
    expect((await explore(replay)).outcomes).toEqual([{ outcome: 'ok', grade: 'acceptable', count: 1 }]);
    await expect(explore({ ...replay, budget: 2 })).rejects.toThrow(/^step 3 went otherwise than on an earlier run \(run 2 of the replay: actor 2 stopped at readFile state\.json, now at appendFile state\.json\)/);
  });

  test.each(['async', 'thread', 'process'] as const)('%s: a call an actor leaves behind, made after its run, stops the search and is named with where it came from; the CLI exits 1', async (kind) => {
    const where = kind === 'async' ? "the explorer's thread" : `actor 2's ${kind}`;
    const stray = `fs calls in the exploration's directory that no actor made at a point, seen in ${where}: writeFile late \\(actor 2's, after its run ended; from `;
    await expect(explore({ ops: ops('leavesCallBehind'), kind, workers: 2 })).rejects.toThrow(new RegExp(`^${stray}[^)]*explore-ops`));
    // From the shell, the frame is the fixture's own line, through the compiled module's source map.
    const line = readFileSync(OPS, 'utf8').split('\n').findIndex((l) => l.includes("writeFile(join(dir, 'late')")) + 1;
    const r = contend('--ops', `${OPS}#leavesCallBehind`, '--kind', kind);
    expect(r.stderr).toMatch(new RegExp(`^contend: ${stray}[^)]*cases/fixtures/explore-ops\\.ts:${line}:\\d+\\)\\)`));
    expect(r.status).toBe(1);
  });

  test.each(['async', 'thread', 'process'] as const)('%s: an actor that throws alone, before any search, is named with its error and where it was thrown; the CLI exits 1', async (kind) => {
    const lines = readFileSync(OPS, 'utf8').split('\n');
    const line = lines.findIndex((l) => l.includes("throw new TypeError('actor 2 reads"));
    const at = `${line + 1}:${lines[line]!.indexOf('new TypeError') + 1}`;
    const message = `actor 2 failed on its own, with no other actor running: TypeError: actor 2 reads a field that is not there (at cases/fixtures/explore-ops.ts:${at})`;
    await expect(explore({ ops: ops('throwsAlone'), kind, workers: 2 })).rejects.toMatchObject({ code: 'E_EXPLORE_FIRST_RUN', message });
    const r = contend('--ops', `${OPS}#throwsAlone`, '--kind', kind);
    expect(r.stderr).toBe(`contend: ${message}\n`);
    expect(r.status).toBe(1);
  });

  test("a call made where no actor's async context reaches stops an async search; a thread or a process takes it for its actor's", async () => {
    await expect(explore({ ops: ops('writesByCourier'), kind: 'async', workers: 2 })).rejects.toThrow(
      /^fs calls in the exploration's directory that no actor made at a point, seen in the explorer's thread: writeFile couriered \(in no actor's name; from [^)]*explore-ops/,
    );
    for (const kind of ['thread', 'process'] as const) {
      const result = await explore({ ops: ops('writesByCourier'), kind, workers: 2 });
      expect(result.outcomes).toEqual([{ outcome: 'ok', grade: 'acceptable', count: result.schedules }]);
      expect(result.exhaustive).toBe(true);
    }
  });

  test("a thread actor woken by the notify of the explorer's previous grant waits on for its own grant", async () => {
    // The explorer bumps the counter, then notifies; a thread that saw the bump first is at its next
    // point when that notify comes. Here a notify with no bump wakes the waiting thread, the word
    // still saying go from the last grant; then the real grant says abandon.
    const grant = new SharedArrayBuffer(8);
    const word = new Int32Array(grant);
    Atomics.store(word, GRANT_WORD, GO);
    const protocol = pathToFileURL(join(process.cwd(), 'dist/lib/explore/protocol.js')).href;
    const thread = new Worker(
      `import { workerData, parentPort } from 'node:worker_threads';
       import { awaitGrant, GRANT_SEQ } from ${JSON.stringify(protocol)};
       const word = new Int32Array(workerData);
       parentPort.postMessage(awaitGrant(word, Atomics.load(word, GRANT_SEQ)));`,
      { eval: true, workerData: grant, type: 'module' } as WorkerOptions,
    );
    const said = new Promise((resolve) => thread.once('message', resolve));
    // Until the thread sleeps in its wait, a notify wakes nobody; this one wakes it.
    while (Atomics.notify(word, GRANT_SEQ) === 0) await new Promise((resolve) => setImmediate(resolve));
    Atomics.store(word, GRANT_WORD, ABANDON);
    Atomics.add(word, GRANT_SEQ, 1);
    Atomics.notify(word, GRANT_SEQ);
    expect(await said).toBe(false);
    await thread.terminate();
  });

  test('an actor that goes on from a point it was not let go from stops the schedule: the explorer counts its grants', async () => {
    // A host whose actor slips past a point: after its start it announces having gone on from one
    // more point than the explorer let it go from.
    const dir = mkdtempSync(join(tmpdir(), 'contend-protocol-'));
    try {
      const announced: Announcement[] = [];
      let run = 0;
      const link: ActorLink = {
        worker: 1,
        begin: (r) => void ((run = r), announced.push({ type: 'point', run, point: START, releases: 0, inflight: 0, went: 0 })),
        grant: () => void announced.push({ type: 'point', run, point: { op: 'open', detail: 'state.json', reads: [], writes: ['state.json'] }, releases: 0, inflight: 0, went: 2 }),
        next: async () => announced.shift()!,
        close: async () => {},
      };
      const subject: LoadedSubject = { name: 'slipping', setup: async () => {}, actor: async () => undefined, check: async () => 'ok', grade: () => 'acceptable' };
      const actors: Actors = { links: [link], reset: () => {}, subject, close: async () => {} };
      await expect(runSchedule({ actors, kind: 'thread', workers: 1, dir, depth: 10 }, { choose: () => 1 })).rejects.toThrow(
        /^actor 1 stopped at open state\.json having gone on from 2 points of schedule \d+, where it was let go from 1$/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test.each(['pct', 'random'] as const)('%s with a seed explores the same schedules again', async (search) => {
    const run = () => explore({ ops: ops('increment'), kind: 'async', workers: 3, search, seed: 's1', budget: 60 });
    const [a, b] = [await run(), await run()];
    expect(b.outcomes).toEqual(a.outcomes);
    expect(b.failure?.steps).toEqual(a.failure?.steps);
  });

  test('stretchClock scales a stale time, a lease and its renewal together to an hour', async () => {
    expect(withStretchedClock({ staleMs: 2000, updateMs: 1000, maxPollMs: 8 })).toEqual({ lockOptions: { staleMs: 3_600_000, updateMs: 1_800_000, maxPollMs: 8 }, stretched: 'staleMs 3600000, updateMs 1800000: ×1800' });
    expect(withStretchedClock({ ttlMs: 1000, timeoutMs: 2000 })).toEqual({ lockOptions: { ttlMs: 3_600_000, timeoutMs: 2000 }, stretched: 'ttlMs 3600000: ×3600' });
    // No time, or none that expires within the hour: nothing to stretch.
    for (const options of [{ staleMs: 0 }, { staleMs: 7_200_000 }, { maxPollMs: 8 }]) expect(withStretchedClock(options)).toEqual({ lockOptions: options, stretched: '' });
    // 30 ms: a schedule of thread actors outlasts it in some runs and not others; stretched, never.
    const r = await explore({ lock: 'npm-lockfile', lockOptions: { staleMs: 30 }, kind: 'thread', workers: 2, stretchClock: true });
    expect(r).toMatchObject({ stretched: 'staleMs 3600000: ×120000', verdict: 'pass', exhaustive: true });
  });

  test('pct prints its guarantee for the run', async () => {
    const r = await explore({ ops: ops('increment'), kind: 'async', workers: 2, search: 'pct', budget: 20 });
    expect(r.guarantee).toMatch(/probability ≥ 1\/\(n·k\^\(d−1\)\) = 1\/\(2·\d+\^1\)/);
  });
});

describe('nothing left open', () => {
  // Schedules are abandoned as soon as they can add nothing: an actor held at a close then, or
  // with a file open, must still close it, or its thread keeps the descriptor for good.
  const openUnder = (dir: string): string[] => fdTargets('self').filter((target) => target.startsWith(dir));

  test.each(['async', 'thread'] as const)('abandoned schedules of %s actors close every file they opened', async (kind) => {
    const base = mkdtempSync(join(tmpdir(), 'contend-open-'));
    try {
      const r = await explore({ lock: 'flock', kind, workers: 2, dir: base });
      expect(r.schedules).toBeGreaterThan(2);
      expect(openUnder(base)).toEqual([]);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});

describe('bad input: one error naming what is allowed, before any actor starts', () => {
  test.each<[ExploreOptions, RegExp]>([
    [{}, /invalid subject: "none"; allowed: lock, strategy or ops/],
    [{ lock: 'nope' }, /invalid lock: "nope"; allowed: none, spinlock, mutex, flock/],
    [{ lock: 'flock', kind: 'fibre' as never }, /invalid kind: "fibre"; allowed: async, thread, process/],
    [{ lock: 'flock', workers: 1 }, /invalid workers: 1; allowed: an integer from 2 to 16/],
    [{ lock: 'flock', search: 'bfs' as never }, /invalid search: "bfs"; allowed: dfs, pct, random/],
    [{ lock: 'flock', preemptions: -1 }, /invalid preemptions: -1/],
    [{ lock: 'flock', dir: '/nonexistent/dir' }, /invalid dir: "\/nonexistent\/dir"; allowed: an existing directory/],
    [{ lock: 'flock', replay: [1, 3] }, /invalid replay/],
    [{ ops: ops('increment'), strategy: 'truncate' }, /invalid subject: "ops and strategy"/],
    [{ lock: 'flock', stretchClock: 'yes' as never }, /invalid stretchClock: "yes"; allowed: true or false/],
    // An option of another search is refused, not dropped: dfs is exhaustive and takes no seed.
    [{ lock: 'flock', seed: 'x' }, /^invalid seed: "x" \(search dfs takes no seed\); allowed: seed with search pct or random$/],
    [{ lock: 'flock', search: 'pct', preemptions: 3 }, /^invalid preemptions: 3 \(search pct takes no preemptions\); allowed: preemptions with search dfs$/],
    [{ lock: 'flock', search: 'random', depth: 3 }, /^invalid depth: 3 \(search random takes no depth\); allowed: depth with search pct$/],
    [{ lock: 'flock', replay: [1, 2], seed: 'x' }, /^invalid seed: "x"; allowed: none with replay, which reruns one schedule; seed is for search pct or random$/],
  ])('%j', async (options, message) => {
    await expect(explore(options)).rejects.toThrow(message);
  });
});

describe('verdicts use it: no PASS and no "yes" for a lock explore can break', () => {
  test('the matrix fails the check-then-act lock for threads and processes, naming the shrunk schedule, and passes it for async actors', async () => {
    const adapter = await registerLock({ module: new URL('./fixtures/check-then-act-lock.ts', import.meta.url).href, export: 'CheckThenActLockAdapter' });
    try {
      const rows = await runMatrix({ locks: [adapter.name], orders: ['force-write'] });
      const verdicts = Object.fromEntries(rows.map((r) => [r.options.kind, r.verdict]));
      expect(verdicts).toEqual({ async: 'pass', thread: 'fail', process: 'fail' });
      for (const row of rows.filter((r) => r.verdict === 'fail')) {
        expect(row.runs[0]).toEqual(['intact', 'intact', 'intact', 'intact', 'intact']);
        expect(row.error).toMatch(/^explore broke it: threw ENOENT, 2 preemptions \(contend explore --replay '\{.*"replay":\[[\d,]+\]\}'\)$/);
        // Its replay is explore's: the case itself passed.
        expect(row.replay).toMatch(/^explore\(\{.*\}\)\ncontend explore --replay '/);
      }
      const stepOnly = await runMatrix({ locks: [adapter.name], orders: ['force-write'], explore: false });
      expect(stepOnly.every((r) => r.verdict === 'pass')).toBe(true);
    } finally {
      unregisterLock(adapter.name);
    }
  });

  test('a lock that expires by the clock is explored with its clock stretched, by the matrix and the audit, and they say so', async () => {
    const adapter = await registerLock({ module: new URL('./fixtures/stale-npm-lock.ts', import.meta.url).href, export: 'StaleNpmLockAdapter' });
    try {
      // Its default stale time of 2 s, stretched to an hour: 1800 times.
      const [row] = await runMatrix({ locks: [adapter.name], kinds: ['thread'], orders: ['force-write'] });
      expect(row!.verdict).toBe('pass');
      expect(row!.explored).toMatchObject({ stretched: 'staleMs 3600000: ×1800' });
      const report = await runAudit({ libraries: [{ name: adapter.name, role: 'lock', lockOptions: { staleMs: 1000 } }], properties: ['excludes-processes'] });
      expect(report.cells[0]).toMatchObject({ verdict: 'yes', detail: expect.stringMatching(/; explored \(with staleMs 3600000: ×3600, so that no lock expires while a schedule runs call by call\): all \d+ schedules/) });
    } finally {
      unregisterLock(adapter.name);
    }
  });

  test('the audit says "no" where only explore finds the race, with the shrunk schedule as evidence', async () => {
    const adapter = await registerLock({ module: new URL('./fixtures/check-then-act-lock.ts', import.meta.url).href, export: 'CheckThenActLockAdapter' });
    try {
      const report = await runAudit({ libraries: [{ name: adapter.name, role: 'lock' }], properties: ['excludes-async', 'excludes-threads', 'excludes-processes'] });
      const cells = Object.fromEntries(report.cells.map((c) => [c.property, c]));
      expect(cells['excludes-async']!.verdict).toBe('yes');
      expect(cells['excludes-async']!.detail).toMatch(/explored: all 4 schedules within 2 preemptions intact$/);
      for (const property of ['excludes-threads', 'excludes-processes']) {
        expect(cells[property]!.verdict).toBe('no');
        expect(cells[property]!.detail).toMatch(/: \[intact ×2\], but explore found threw ENOENT in \d+ of \d+ schedules; shrunk schedule \(actors in turn\): [12]+, 2 preemptions$/);
      }
    } finally {
      unregisterLock(adapter.name);
    }
  });
});

describe('the CLI', () => {

  test.each(['async', 'thread', 'process'] as const)('%s: a violation exits 1 with the timeline and the replay; a sound lock exits 0', (kind) => {
    const bad = contend('--lock-module', `${CHECK_THEN_ACT.module}#${CHECK_THEN_ACT.export}`, '--kind', kind);
    const good = contend('--lock', 'flock', '--kind', kind);
    if (kind === 'async') {
      // Synchronous calls cannot interleave between async actors of one thread: the same lock holds there.
      expect(bad.status).toBe(0);
    } else {
      // What it wrote to stderr, if anything, says why when it did not fail as it should.
      expect(bad.stdout, bad.stderr).toMatch(/^FAIL: threw ENOENT, in \d+ steps with 2 preemptions:$/m);
      expect(bad.stdout).toMatch(/^contend explore --replay '\{"lock":\{"module":.*"replay":\[[\d,]+\]\}'$/m);
      expect(bad.status).toBe(1);
      // The printed replay reruns that one schedule, and says so: no search, no bound.
      const again = contend('--replay', /^contend explore --replay '(.*)'$/m.exec(bad.stdout)![1]!);
      expect(again.stdout).toMatch(new RegExp(`^explored check-then-act with 2 ${kind} actors \\(replay\\): 1 run of the replayed schedule in `, 'm'));
      expect(again.stdout).toMatch(/^FAIL: threw ENOENT, in \d+ steps with 2 preemptions:$/m);
      expect(again.status).toBe(1);
    }
    expect(good.stdout, good.stderr).toMatch(/^PASS: no forbidden outcome in any schedule within the bound$/m);
    expect(good.status).toBe(0);
  });

  test('--timeline writes the failing schedule as SVG; a path that cannot be written is refused before any actor starts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'explore-cli-'));
    try {
      const svg = join(dir, 'schedule.svg');
      const r = contend('--ops', `${OPS}#increment`, '--kind', 'process', '--timeline', svg);
      expect(r.status).toBe(1);
      expect(r.stdout).toContain(`timeline: ${svg}`);
      const drawn = readFileSync(svg, 'utf8');
      expect(drawn).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(drawn).toContain('increment, 2 process actors: lost update');
      expect(drawn.match(/<rect /g)).toHaveLength(4);
      // Beside --json on stdout, what was written is said on stderr, and stdout stays one document.
      const html = join(dir, 'schedule.html');
      const withJson = contend('--ops', `${OPS}#increment`, '--kind', 'process', '--timeline', html, '--json');
      expect(withJson.status).toBe(1);
      expect(JSON.parse(withJson.stdout).verdict).toBe('fail');
      expect(withJson.stderr).toContain(`timeline: ${html}`);
      const bad = contend('--ops', `${OPS}#increment`, '--timeline', join(dir, 'missing', 'x.svg'));
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/^contend: invalid timeline: /);
      const wrongKind = contend('--ops', `${OPS}#increment`, '--timeline', join(dir, 'x.png'));
      expect(wrongKind.stderr.trim()).toMatch(/allowed: a file ending in \.svg or \.html$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('bad input exits 2 with one line', () => {
    const r = contend('--lock', 'flock', '--search', 'bfs');
    expect(r.stderr.trim()).toBe('contend: invalid search: "bfs"; allowed: dfs, pct, random');
    expect(r.status).toBe(2);
  });

  test.each(['async', 'thread', 'process'] as const)('%s: operations that take a lock, given none, are bad input (exit 2), found in the first run', (kind) => {
    const r = contend('--ops', `${OPS}#lockedIncrement`, '--kind', kind);
    expect(r.stderr).toBe('contend: withLock() needs a lock: give explore one (--lock NAME, or lock: in the options) along with the operations\n');
    expect(r.stdout).toBe('');
    expect(r.status).toBe(2);
  });
});

describe('an actor that never reaches its next point is a fault, not a search without end', () => {
  const FAULTY = { module: './cases/fixtures/faulty-locks.ts', export: 'FaultyLockAdapter' };

  test.each([
    ['async', 'hang'],
    ['thread', 'hang'],
    ['process', 'hang'],
    ['thread', 'busy'],
    ['process', 'busy'],
  ] as const)('%s: a lock whose tryAcquire does not return (%s): worker 1 hung, its hosts ended', async (kind, how) => {
    const error = await explore({ lock: FAULTY, lockOptions: { worker: 1, how }, kind, stepTimeoutMs: 500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerFaultError);
    expect((error as WorkerFaultError).faults).toEqual([{ worker: 1, action: 'explore', reason: 'hung', detail: 'it did not reach its next point within 500 ms' }]);
    // Explore's own hosts; the file's earlier tests leave the cases' process hosts warm.
    expect(hostProcesses(/explore-host/)).toEqual([]);
  });

  // As a test runner's process.exit does: it throws, and the process goes on. Standard error must
  // still take the second line, and the process must still end.
  test('async: a busy-wait in an exploration whose process.exit() throws: said, and the process ends with SIGKILL, its files removed', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'explore-refused-'));
    try {
      const script = [
        "process.exit = () => { throw new Error('process.exit unexpectedly called'); };",
        "const { explore } = await import('contend/explore');",
        `await explore({ lock: { module: ${JSON.stringify(new URL('./fixtures/faulty-locks.ts', import.meta.url).href)}, export: 'BusyLockAdapter' }, kind: 'async', stepTimeoutMs: 2000 });`,
      ].join('\n');
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, TMPDIR: tmp } });
      expect(r.stderr).toMatch(
        /^contend: an async actor blocked the event loop for \d+ ms in its actor\(\) during 'explore', where it cannot be interrupted safely; the process exits with status 1, its temporary files removed\ncontend: the process did not exit within 2000 ms of being asked \(a process\.exit\(\) that throws, or a native call\); its temporary files are removed and the process ends \(SIGKILL\)\n$/,
      );
      expect(r.signal).toBe('SIGKILL');
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('async: a lock that busy-waits cannot be interrupted inside an exploration: the process exits with status 1, said on stderr, its files removed', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'explore-busy-'));
    try {
      const r = spawnSync(process.execPath, ['dist/lib/cli/main.js', 'explore', '--lock-module', 'cases/fixtures/faulty-locks.ts#BusyLockAdapter', '--lock', 'busy', '--kind', 'async', '--step-timeout-ms', '2000'], {
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, TMPDIR: tmp },
      });
      // Its one line: Node's own about a debugger, as a process exits inside an inspector's command, is not shown.
      expect(r.stderr).toMatch(/^contend: an async actor blocked the event loop for \d+ ms in its actor\(\) during 'explore', where it cannot be interrupted safely; the process exits with status 1, its temporary files removed\n$/);
      expect(r.status).toBe(1);
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

// Thread actors answer through shared memory, in microtasks: a long search once let the event loop
// turn only every few seconds, and Ctrl-C took up to two minutes. The deadline is 60 times what
// the answer takes on a loaded machine: it only separates "at once" from "when the search ends".
test.each(['thread', 'process'] as const)('%s: Ctrl-C in the middle of a long search ends explore at once, with 130', async (kind) => {
  const child = spawn(process.execPath, ['dist/lib/cli/main.js', 'explore', '--lock', 'flock', '--kind', kind, '--search', 'random', '--budget', '1000000'], { stdio: 'ignore' });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  await new Promise((resolve) => setTimeout(resolve, 1500));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const [code, signal] = await exited;
  clearTimeout(timer);
  expect({ code, signal }).toEqual({ code: 130, signal: null });
}, 90_000);
