import { createRequire } from 'node:module';
import { InvalidOptionError, onlyKnown, optionNames } from './errors.js';
import { PATTERNS, type Action, type Pattern, type Schedule, type Tick } from './types.js';

// Required on the first random schedule, not at import: it is the only package schedules need.
let loadSeedrandom: typeof import('seedrandom') | undefined;

export const MAX_WORKERS = 64;

export interface ScheduleOptions {
  workers: number;
  /** Seconds between ticks. */
  period: number;
  pattern?: Pattern;
  /** Seeds the random pattern; the same seed gives the same schedule. */
  seed?: number;
  /** Random pattern: number of ticks the writes and reads are spread over (default 2 × workers). */
  span?: number;
}

export function validateWorkers(workers: unknown): number {
  if (typeof workers !== 'number' || !Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
    throw new InvalidOptionError('workers', `an integer from 1 to ${MAX_WORKERS}`, workers);
  }
  return workers;
}

/** The longest period, seconds: a schedule of 64 workers an hour apart already runs for days. */
export const MAX_PERIOD = 3600;

export function validatePeriod(period: unknown): number {
  if (typeof period !== 'number' || !Number.isFinite(period) || period <= 0 || period > MAX_PERIOD) {
    throw new InvalidOptionError('period', `a number of seconds above 0, at most ${MAX_PERIOD}`, period);
  }
  return period;
}

export function validatePattern(pattern: unknown): Pattern {
  if (!PATTERNS.includes(pattern as Pattern)) throw new InvalidOptionError('pattern', PATTERNS.join(', '), pattern);
  return pattern as Pattern;
}

export function validateSeed(seed: unknown): number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw new InvalidOptionError('seed', `an integer from ${Number.MIN_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}`, seed);
  }
  return seed;
}

/**
 * Builds a schedule. `staggered` is the pattern of the AppCache lock tests: worker n writes at (n−1)·period and reads
 * at (n+1)·period, so every read overlaps the next worker's write. `random` gives each worker one
 * write and a later read at seeded random ticks.
 */
const SCHEDULE_OPTIONS = optionNames<ScheduleOptions>({ workers: true, period: true, pattern: true, seed: true, span: true });

export function generateSchedule(options: ScheduleOptions): Schedule {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('schedule options', 'an object { workers, period, … }', options);
  onlyKnown('schedule option', options, SCHEDULE_OPTIONS);
  const workers = validateWorkers(options.workers);
  const period = validatePeriod(options.period);
  const pattern = validatePattern(options.pattern ?? 'staggered');
  if (pattern === 'staggered') {
    // The staggered table draws nothing: a seed or span given with it is a slip (a random
    // schedule meant), not something to ignore.
    for (const key of ['seed', 'span'] as const) {
      if (options[key] !== undefined) throw new InvalidOptionError(key, `a ${key} only with the random pattern (the staggered one draws nothing)`, options[key]);
    }
    const slots = new Map<number, Action[]>();
    for (let n = 1; n <= workers; n++) {
      place(slots, n - 1, { worker: n, op: 'write' });
      place(slots, n + 1, { worker: n, op: 'read' });
    }
    return { workers, period, pattern, ticks: toTicks(slots, period) };
  }
  const seed = validateSeed(options.seed ?? 1);
  const span = options.span ?? 2 * workers;
  if (!Number.isInteger(span) || span < 2) throw new InvalidOptionError('span', 'an integer of at least 2', span);
  const rng = (loadSeedrandom ??= createRequire(import.meta.url)('seedrandom') as typeof import('seedrandom'))(String(seed));
  const slots = new Map<number, Action[]>();
  for (let n = 1; n <= workers; n++) {
    const write = Math.floor(rng() * (span - 1));
    const read = write + 1 + Math.floor(rng() * (span - 1 - write));
    place(slots, write, { worker: n, op: 'write' });
    place(slots, read, { worker: n, op: 'read' });
  }
  return { workers, period, pattern, seed, ticks: toTicks(slots, period) };
}

function place(slots: Map<number, Action[]>, slot: number, action: Action): void {
  const list = slots.get(slot);
  if (list) list.push(action);
  else slots.set(slot, [action]);
}

// Generated order inside a tick is by worker number, as the AppCache lock tests print it.
function toTicks(slots: Map<number, Action[]>, period: number): Tick[] {
  return [...slots.entries()]
    .sort(([a], [b]) => a - b)
    .map(([slot, actions]) => ({
      at: slot * period,
      actions: actions.sort((x, y) => x.worker - y.worker),
    }));
}
