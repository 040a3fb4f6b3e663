import { ORDERINGS, type Ordering } from '../../schedules/types.js';
import { lockNames, lockRegistry } from '../locks/registry.js';
import { prewarmProcesses } from './kinds/index.js';
import { ecosystemLocks, ownFileCode } from '../locks/index.js';
import { WORKER_KINDS, type WorkerKind } from '../locks/types.js';
import type { Outcome } from './outcome.js';
import { integerIn, onlyKnown, optionNames, someOf } from '../support/check.js';
import { checkCpuLoad, withCpuLoad } from '../support/load.js';
import { resolveCase, type CaseOptions } from './options.js';
import { expectationOf, runCase, type CaseResult } from './run-case.js';
import { writeRegistry } from '../writes/index.js';
import { counted } from '../support/counted.js';
import { ContendError } from '../errors.js';

export interface MatrixOptions extends Omit<CaseOptions, 'kind' | 'lock' | 'order'> {
  kinds?: readonly WorkerKind[] | undefined;
  locks?: readonly string[] | undefined;
  orders?: readonly Ordering[] | undefined;
  /** Run every case this many times; a case passes only if every run gives the expected vector. */
  repeat?: number | undefined;
  /** Keep this many busy threads running meanwhile (default 0): outcomes must not change. */
  cpuLoad?: number | undefined;
  /**
   * Also explore each lock of yours that claims to exclude a kind (2 actors of that kind, every
   * interleaving of their fs calls within 2 preemptions, contend/explore): its rows pass only if
   * the exploration finds no forbidden outcome either. Default true. The built-in locks are
   * explored so by contend's own test suite (2 and 3 actors), which a run need not repeat.
   */
  explore?: boolean | undefined;
}

/** One case of the matrix: its lock by name, as the matrix lists the registered ones. */
export type MatrixCase = CaseOptions & { lock: string };

export interface MatrixRow {
  options: MatrixCase;
  expected: Outcome[];
  /** The vector of each run (one per repeat). */
  runs: Outcome[][];
  verdict: 'pass' | 'fail' | 'error';
  error?: string;
  /** The error's code, when contend raised it (E_WORKER_FAULT, …). */
  code?: string;
  /**
   * What reruns a row that did not pass: its case's runCase() literal, the CLI's `contend run
   * --replay` and its schedule; or, for a row explore broke, explore()'s literal and `contend
   * explore --replay`.
   */
  replay?: string;
  /**
   * Mean wall time of one run, ms (in step mode a case shares the machine with cases of the other
   * kinds); for a row whose every run errored, how long its run took to.
   */
  ms: number;
  last?: CaseResult;
  /** The exploration of this row's lock and kind, when the lock claims to exclude the kind. */
  explored?: { schedules: number; exhaustive: boolean; broken?: string; replay?: string; stretched?: string };
}

/** A case's options, but kinds, locks and orders instead of one of each. */
const MATRIX_OPTIONS = optionNames<MatrixOptions>({
  kinds: true, locks: true, orders: true, repeat: true, cpuLoad: true, explore: true, workers: true, mode: true, period: true, pattern: true,
  seed: true, schedule: true, granularity: true, write: true, lockOptions: true, calibrate: true, actionTimeoutMs: true, startTimeoutMs: true,
});

/** The cases of the matrix, kind-major, as the tables print them. */
export function matrixCases(options: MatrixOptions = {}): MatrixCase[] {
  onlyKnown('matrix option', options, MATRIX_OPTIONS);
  const kinds = someOf('kinds', WORKER_KINDS, options.kinds);
  const names = lockNames();
  const locks = someOf('locks', names, options.locks, names.filter((n) => !ecosystemLocks.has(n)));
  const orders = someOf('orders', ORDERINGS, options.orders, ['force-write', 'force-read']);
  const { kinds: _k, locks: _l, orders: _o, repeat: _r, explore: _e, cpuLoad: _c, ...shared } = options;
  return kinds.flatMap((kind) => locks.flatMap((lock) => orders.map((order) => ({ ...shared, kind, lock, order }))));
}

/**
 * Runs the matrix and compares each vector with the one the rule and the schedule give. Rows
 * come to `onRow` in the matrix's order, each as soon as it and every row before it are done.
 */
export async function runMatrix(options: MatrixOptions = {}, onRow?: (row: MatrixRow, index: number, total: number) => void): Promise<MatrixRow[]> {
  onlyKnown('matrix option', options, MATRIX_OPTIONS);
  const repeat = integerIn('repeat', options.repeat ?? 1, 1, 100_000);
  const cpuLoad = checkCpuLoad(options.cpuLoad ?? 0);
  // A write strategy of the user's, given by module and export, is registered and named once for all cases.
  const write = options.write === undefined ? {} : { write: (await writeRegistry.named(options.write)) as string };
  const cases = matrixCases({ ...options, ...write });
  // Every case's options are checked before the first runs: bad input is one error, not a row each.
  const resolved = cases.map((c) => resolveCase(c));
  // Process hosts start now, while the first cases of the other kinds run, not when the first
  // process case does. Only in step mode: there the outcomes do not depend on what else the
  // machine does; period mode's cases are timed, and each must see the machine alike.
  const step = resolved.every((c) => c.mode === 'step');
  const processCase = resolved.filter((c) => c.kind === 'process');
  if (processCase.length && step) {
    await prewarmProcesses(
      Math.max(...processCase.map((c) => c.workers)),
      processCase.every((c) => ownFileCode({ lock: c.ref, write: c.writeRef })),
    );
  }
  // Built-in adapters never block the driver's thread (their waits are polls, inotify wake-ups,
  // Atomics.waitAsync): async cases of theirs can run beside the others.
  const ownAsync = resolved.every((c) => c.kind !== 'async' || ('builtin' in c.ref && 'builtin' in c.writeRef));
  const run = (): Promise<MatrixRow[]> => runCases(cases, repeat, matrixLanes(cases, step, ownAsync), onRow);
  const rows = await (cpuLoad > 0 ? withCpuLoad(cpuLoad, run) : run());
  if (options.explore !== false) await exploreClaims(rows);
  return rows;
}

/**
 * Explores each lock of the user's and kind whose rows all passed and whose adapter claims to
 * exclude that kind: a lock whose own acquire races passes the step schedule, and must not pass
 * the matrix.
 */
async function exploreClaims(rows: MatrixRow[]): Promise<void> {
  const groups = new Map<string, MatrixRow[]>();
  for (const row of rows) {
    const key = JSON.stringify([row.options.kind, row.options.lock, row.options.lockOptions ?? {}, row.options.write ?? 'truncate']);
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  let explore: typeof import('../explore/explore.js').explore | undefined;
  for (const group of groups.values()) {
    const { kind, lock, lockOptions, write } = group[0]!.options;
    const found = lockRegistry.resolve(lock);
    if ('builtin' in found.ref || !found.adapter.excludes[kind ?? 'async'] || group.some((r) => r.verdict !== 'pass')) continue;
    // Loaded only here: a matrix of locks that claim nothing never needs the explorer.
    explore ??= (await import('../explore/explore.js')).explore;
    // A stale time or lease is stretched: a schedule run call by call must not outlast it.
    const result = await explore({ lock, kind: kind ?? 'async', workers: 2, stretchClock: true, ...(lockOptions ? { lockOptions } : {}), ...(write !== undefined ? { strategy: write } : {}) });
    const explored = {
      schedules: result.schedules,
      exhaustive: result.exhaustive,
      ...(result.stretched ? { stretched: result.stretched } : {}),
      ...(result.failure ? { broken: result.failure.outcome, replay: result.failure.replay.split('\n')[1]! } : {}),
    };
    for (const row of group) {
      row.explored = explored;
      if (result.failure) {
        row.verdict = 'fail';
        row.error = `explore broke it: ${result.failure.outcome}, ${counted(result.failure.preemptions, 'preemption')} (${explored.replay})`;
        // What reruns it is the schedule explore found: its case passed.
        row.replay = result.failure.replay;
      }
    }
  }
}

type OnRow = (row: MatrixRow, index: number, total: number) => void;

/**
 * How the cases run: phases one after the other, each of lanes side by side, each lane its cases
 * (by index) one after the other. In step mode each kind is a lane of its own: each kind has its
 * own threads or hosts, and a step schedule's outcomes do not depend on what else the machine
 * does (`--cpu-load` is how a run shows it), while each kind alone leaves a core idle between its
 * actions. The async cases run in a phase of their own before the others unless every one of
 * them runs contend's own adapters (`ownAsync`): their adapter code runs in the driver's own
 * thread, and a user's that blocked it would hold every other case's timers and be counted
 * against them. Period mode's cases are timed, so there every case runs alone, and each sees the
 * machine alike.
 */
export function matrixLanes(cases: readonly { kind: WorkerKind }[], step: boolean, ownAsync: boolean): number[][][] {
  const all = cases.map((_, i) => i);
  if (!step) return [[all]];
  const of = (kind: WorkerKind): number[] => all.filter((i) => cases[i]!.kind === kind);
  const phases = ownAsync ? [WORKER_KINDS.map(of)] : [[of('async')], [of('thread'), of('process')]];
  return phases.map((phase) => phase.filter((lane) => lane.length > 0)).filter((phase) => phase.length > 0);
}

/** Runs the cases by their lanes (matrixLanes), and reports each row in the matrix's order. */
async function runCases(cases: MatrixCase[], repeat: number, phases: number[][][], onRow?: OnRow): Promise<MatrixRow[]> {
  const rows: (MatrixRow | undefined)[] = cases.map(() => undefined);
  let reported = 0;
  // A reader that throws stops every lane before its next case, and is rethrown once all have.
  let stopped: { error: unknown } | undefined;
  const lane = async (indices: number[]): Promise<void> => {
    for (const index of indices) {
      if (stopped) return;
      rows[index] = await runRow(cases[index]!, repeat);
      if (stopped) return;
      try {
        for (; reported < rows.length && rows[reported]; reported++) onRow?.(rows[reported]!, reported, cases.length);
      } catch (error) {
        stopped ??= { error };
      }
    }
  };
  for (const phase of phases) await Promise.all(phase.map(lane));
  if (stopped) throw stopped.error;
  return rows as MatrixRow[];
}

async function runRow(c: MatrixCase, repeat: number): Promise<MatrixRow> {
  const runs: Outcome[][] = [];
  let expected: Outcome[] = [];
  let total = 0;
  let last: CaseResult | undefined;
  let error: (Error & { code?: unknown; replay?: string }) | undefined;
  let errorMs = 0;
  for (let i = 0; i < repeat && !error; i++) {
    const started = performance.now();
    try {
      last = await runCase(c);
      expected = last.predicted;
      total += last.ms;
      runs.push(last.outcomes);
    } catch (e) {
      error = e as Error;
      errorMs = performance.now() - started;
    }
  }
  // A row whose case errored before any run ended still says what it expected: known before a run.
  if (!last) expected = expectationOf(resolveCase(c)).predicted;
  const same = runs.every((r) => sameVector(r, expected));
  const replay = error ? error.replay : same ? undefined : last?.replay;
  return {
    options: c,
    expected,
    runs,
    verdict: error ? 'error' : same ? 'pass' : 'fail',
    ...(error ? { error: error.message, ...(error instanceof ContendError ? { code: error.code } : {}) } : {}),
    ...(replay !== undefined ? { replay } : {}),
    // The runs that ended, or, when none did, how long the one that errored took to.
    ms: runs.length ? total / runs.length : errorMs,
    ...(last ? { last } : {}),
  };
}

export function sameVector(a: readonly Outcome[], b: readonly Outcome[]): boolean {
  return a.length === b.length && a.every((o, i) => o === b[i]);
}
