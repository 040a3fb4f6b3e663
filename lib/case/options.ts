import { generateSchedule, validatePattern, validatePeriod, validateSeed, validateWorkers } from '../../schedules/generate.js';
import { applyOrdering } from '../../schedules/order.js';
import { ORDERINGS, type Ordering, type Pattern, type Schedule } from '../../schedules/types.js';
import { validateSchedule } from '../../schedules/validate.js';
import { lockOptionsOf, resolveLock } from '../locks/registry.js';
import { requireServerPrograms } from '../locks/server-lock.js';
import { resolveWriteStrategy } from '../writes/index.js';
import { MAX_TIMER_MS, numberIn, oneOf, onlyKnown, optionNames } from '../support/check.js';
import { InvalidOptionError } from '../errors.js';
import { validateKind } from './kinds/index.js';
import type { AdapterRef, LockAdapter, WorkerKind } from '../locks/types.js';
import type { ModuleRef } from '../modules/registry.js';
import { GRANULARITIES, type Granularity } from './protocol.js';

export const MODES = ['step', 'period'] as const;
export type Mode = (typeof MODES)[number];

export interface CaseOptions {
  /** How each actor runs: async tasks in this thread, worker_threads, or child processes. */
  kind: WorkerKind;
  /**
   * A lock adapter: the name of a built-in or of one added with registerLock(), or your own by
   * module and export (`{ module: './my-lock.ts', export: 'MyLock' }`), as a replay literal gives it.
   */
  lock: string | ModuleRef;
  /** Order of the actions inside one tick (default force-write, as in the AppCache lock tests). */
  order?: Ordering | undefined;
  /** Number of actors (default 5, as in the AppCache lock tests). */
  workers?: number | undefined;
  /** `step` (default): deterministic, no sleeps. `period`: wall clock, as in the AppCache lock tests. */
  mode?: Mode | undefined;
  /** Seconds between ticks (default 2, as in the AppCache lock tests; only period mode sleeps it). */
  period?: number | undefined;
  pattern?: Pattern | undefined;
  seed?: number | undefined;
  /** A schedule of your own instead of a generated one. */
  schedule?: Schedule | undefined;
  granularity?: Granularity | undefined;
  /** How each write saves the shared file: a write strategy's name (default truncate, a plain overwrite), or your own by module and export. */
  write?: string | ModuleRef | undefined;
  /** Options handed to the lock adapter, over its defaults. */
  lockOptions?: Record<string, unknown> | undefined;
  /** Period mode: raise the period when a read+write takes more than a tenth of it (default true). */
  calibrate?: boolean | undefined;
  /** A worker that does not answer a command for this long is reported hung and ended, ms. */
  actionTimeoutMs?: number | undefined;
  /**
   * A worker whose lock is not made this long after the worker came up and loaded its adapters is
   * reported hung at start, ms (default 20 s). The coming up itself (a cold process or thread
   * start, slow on a busy machine) is not counted: it has a bound of its own, 2 minutes.
   */
  startTimeoutMs?: number | undefined;
}

const CASE_OPTIONS = optionNames<CaseOptions>({
  kind: true, lock: true, order: true, workers: true, mode: true, period: true, pattern: true, seed: true, schedule: true,
  granularity: true, write: true, lockOptions: true, calibrate: true, actionTimeoutMs: true, startTimeoutMs: true,
});

/** Refuses a key no case takes (`wrokers`), naming those it does; before anything is loaded or run. */
export function checkCaseKeys(options: CaseOptions): CaseOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('case options', 'an object { kind, lock, … }', options);
  return onlyKnown('case option', options, CASE_OPTIONS);
}

export interface ResolvedCase {
  kind: WorkerKind;
  lock: string;
  adapter: LockAdapter;
  ref: AdapterRef;
  order: Ordering;
  workers: number;
  mode: Mode;
  granularity: Granularity;
  lockOptions: Record<string, unknown>;
  write: string;
  writeRef: AdapterRef;
  /** The user's lock or write strategy module, for the replay literal. */
  lockSource?: ModuleRef;
  writeSource?: ModuleRef;
  calibrate: boolean;
  actionTimeoutMs: number;
  startTimeoutMs: number;
  /** As generated (or given), before ordering. */
  schedule: Schedule;
  /** With the tick ordering applied: what the driver dispatches. */
  ordered: Schedule;
}

const orDefault = <T>(value: unknown, fallback: T): unknown => (value === undefined ? fallback : value);

/** Checks every option once, at the boundary, and fills the defaults. */
export function resolveCase(options: CaseOptions): ResolvedCase {
  // Its keys were checked at the entry that took them (runCase, runMatrix).
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('case options', 'an object { kind, lock, … }', options);
  const kind = validateKind(options.kind);
  const { adapter, ref, source: lockSource } = resolveLock(options.lock);
  const order = oneOf('order', ORDERINGS, orDefault(options.order, 'force-write'));
  const mode = oneOf('mode', MODES, orDefault(options.mode, 'step'));
  const granularity = oneOf('granularity', GRANULARITIES, orDefault(options.granularity, 'lifetime'));
  const actionTimeoutMs = numberIn('actionTimeoutMs', orDefault(options.actionTimeoutMs, 10_000), 0, MAX_TIMER_MS, { open: true, unit: 'ms' });
  const startTimeoutMs = numberIn('startTimeoutMs', orDefault(options.startTimeoutMs, 20_000), 0, MAX_TIMER_MS, { open: true, unit: 'ms' });
  const { adapter: strategy, ref: writeRef, source: writeSource } = resolveWriteStrategy(options.write ?? 'truncate');
  const lockOptions = options.lockOptions ?? {};
  requireServerPrograms(adapter, lockOptionsOf(adapter, lockOptions));
  if (options.calibrate !== undefined && typeof options.calibrate !== 'boolean') throw new InvalidOptionError('calibrate', 'true or false', options.calibrate);
  let schedule: Schedule;
  if (options.schedule !== undefined) {
    schedule = validateSchedule(options.schedule);
    if (options.workers !== undefined && validateWorkers(options.workers) !== schedule.workers) {
      throw new InvalidOptionError('workers', `the schedule's own count (${schedule.workers}) or nothing`, options.workers);
    }
  } else {
    schedule = generateSchedule({
      workers: validateWorkers(options.workers ?? 5),
      period: validatePeriod(options.period ?? 2),
      pattern: validatePattern(options.pattern ?? 'staggered'),
      ...(options.seed !== undefined ? { seed: validateSeed(options.seed) } : {}),
    });
  }
  return {
    kind,
    lock: adapter.name,
    adapter,
    ref,
    order,
    workers: schedule.workers,
    mode,
    granularity,
    lockOptions,
    write: strategy.name,
    writeRef,
    ...(lockSource ? { lockSource } : {}),
    ...(writeSource ? { writeSource } : {}),
    calibrate: options.calibrate ?? true,
    actionTimeoutMs,
    startTimeoutMs,
    schedule,
    ordered: applyOrdering(schedule, order),
  };
}
