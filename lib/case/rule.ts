import type { Schedule } from '../../schedules/types.js';
import type { Excludes, WorkerKind } from '../locks/types.js';
import type { Outcome } from './outcome.js';

/**
 * The expected-outcome rule: a race is expected exactly when some pair of actors is of a kind the
 * lock does not exclude. In a case all actors are of one kind, so that is: two or more actors,
 * and the lock does not exclude their kind.
 */
export function expectsRace(excludes: Excludes, kind: WorkerKind, workers: number): boolean {
  return workers >= 2 && !excludes[kind];
}

/**
 * What the reads of a schedule must find, worker by worker: when the lock keeps every pair apart
 * each actor reads back its own write (`intact`); otherwise each read sees the last write before
 * it in the ordered schedule. This is the oracle random schedules are checked against.
 */
export function predictOutcomes(ordered: Schedule, exclusive: boolean): Outcome[] {
  const byWorker = new Map<number, Outcome[]>();
  const record = (worker: number, outcome: Outcome): void => {
    byWorker.set(worker, [...(byWorker.get(worker) ?? []), outcome]);
  };
  let lastWriter: number | undefined;
  for (const tick of ordered.ticks) {
    for (const { worker, op } of tick.actions) {
      if (op === 'write') lastWriter = worker;
      else if (op === 'read') {
        if (exclusive) record(worker, 'intact');
        else record(worker, lastWriter === undefined ? 'missing' : lastWriter === worker ? 'intact' : 'overwritten');
      }
    }
  }
  return [...byWorker.keys()].sort((a, b) => a - b).flatMap((w) => byWorker.get(w)!);
}
