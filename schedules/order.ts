import { InvalidOptionError } from './errors.js';
import { ORDERINGS, type Action, type Ordering, type Schedule } from './types.js';

// Rank of each op under the two forcing orders; exit always goes last so a worker
// never leaves before the tick's other actions ran. Array.prototype.sort is stable,
// so ties keep their generated (worker-number) order, as Python's sort does in the AppCache lock tests.
// A resume finishes a write, so it ranks with the writes.
const WRITE_FIRST = { write: 0, resume: 0, read: 1, exit: 2 } as const;
const READ_FIRST = { read: 0, write: 1, resume: 1, exit: 2 } as const;

/** Writes before reads inside one tick: the default of the AppCache lock tests, the one most likely to expose a race. */
export function forceWriteOrder(actions: readonly Action[]): Action[] {
  return [...actions].sort((a, b) => WRITE_FIRST[a.op] - WRITE_FIRST[b.op]);
}

/** Reads before writes inside one tick. */
export function forceReadOrder(actions: readonly Action[]): Action[] {
  return [...actions].sort((a, b) => READ_FIRST[a.op] - READ_FIRST[b.op]);
}

export function orderActions(actions: readonly Action[], ordering: Ordering): Action[] {
  switch (ordering) {
    case 'force-write':
      return forceWriteOrder(actions);
    case 'force-read':
      return forceReadOrder(actions);
    case 'as-generated':
      return [...actions];
    default:
      throw new InvalidOptionError('order', ORDERINGS.join(', '), ordering);
  }
}

/** The same schedule with every tick's actions put in the given order. */
export function applyOrdering(schedule: Schedule, ordering: Ordering): Schedule {
  return { ...schedule, ticks: schedule.ticks.map((t) => ({ at: t.at, actions: orderActions(t.actions, ordering) })) };
}
