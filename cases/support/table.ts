import type { Outcome, WorkerKind } from '../../lib/index.js';

/** The race of the AppCache lock tests: each read sees the next worker's write, except the last worker's. */
export const race = (workers: number): Outcome[] => [...Array<Outcome>(workers - 1).fill('overwritten'), 'intact'];
/** No race: every worker reads back exactly what it wrote. */
export const noRace = (workers: number): Outcome[] => Array<Outcome>(workers).fill('intact');

export const RACE = race(5);
export const NO_RACE = noRace(5);

/**
 * The matrix as the AppCache lock tests state it, for 5 workers on the schedule
 *
 *   0.0000  [(1, 'write')]
 *   2.0000  [(2, 'write')]
 *   4.0000  [(1, 'read'), (3, 'write')]
 *   6.0000  [(2, 'read'), (4, 'write')]
 *   8.0000  [(3, 'read'), (5, 'write')]
 *   10.0000 [(4, 'read')]
 *   12.0000 [(5, 'read')]
 *
 * The same vector holds for force-write and force-read. `mutex` is their threading.Lock,
 * `flock`/`lockfile` its multiprocessing.Lock.
 */
export const MATRIX: ReadonlyArray<readonly [kind: WorkerKind, lock: string, expected: Outcome[]]> = [
  // workers    lock         expected outcome
  ['async',   'none',     RACE],
  ['async',   'spinlock', RACE],     // their flag is per instance: it excludes nobody
  ['async',   'mutex',    NO_RACE],
  ['async',   'flock',    NO_RACE],
  ['async',   'lockfile', NO_RACE],
  ['thread',  'none',     RACE],
  ['thread',  'spinlock', RACE],     // seed: spinlock, multiple threads → race
  ['thread',  'mutex',    NO_RACE],  // seed: threading.Lock, multiple threads → no race
  ['thread',  'flock',    NO_RACE],  // seed: multiprocessing.Lock, multiple threads → no race
  ['thread',  'lockfile', NO_RACE],
  ['process', 'none',     RACE],
  ['process', 'spinlock', RACE],     // seed: spinlock, multiple processes → race
  ['process', 'mutex',    RACE],     // seed: threading.Lock, multiple processes → race
  ['process', 'flock',    NO_RACE],  // seed: multiprocessing.Lock, multiple processes → no race
  ['process', 'lockfile', NO_RACE],
];

export const ORDERS = ['force-write', 'force-read'] as const;
