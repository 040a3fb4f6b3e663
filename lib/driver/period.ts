import { setTimeout as sleep } from 'node:timers/promises';
import type { Schedule } from '../../schedules/types.js';
import type { CaseSession } from './session.js';

export interface PeriodRun {
  /** How late each tick was dispatched, ms: a tick later than the period no longer means what the schedule says. */
  lateness: number[];
}

/**
 * The seed's wall-clock driver: sleep until each tick, send its actions in order, go on without
 * waiting for them. Each actor carries out its commands in order and waits on its lock by itself.
 */
export async function runPeriodSchedule(session: CaseSession, schedule: Schedule): Promise<PeriodRun> {
  const inflight: Promise<unknown>[] = [];
  const lateness: number[] = [];
  const start = performance.now();
  const exited = new Set<number>();
  // A fault is collected and rethrown after the sends, so the other workers are still accounted for.
  let firstFault: unknown;
  const track = (p: Promise<unknown>): void => {
    inflight.push(p.catch((error: unknown) => (firstFault ??= error)));
  };
  for (const [index, tick] of schedule.ticks.entries()) {
    const due = start + tick.at * 1000;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    lateness.push(Math.max(0, performance.now() - due));
    for (const action of tick.actions) {
      if (action.op === 'exit') exited.add(action.worker);
      track(session.request(action.worker, { op: action.op }, action.op, index));
    }
    if (firstFault) break;
  }
  for (let worker = 1; worker <= schedule.workers && !firstFault; worker++) {
    if (!exited.has(worker)) track(session.request(worker, { op: 'exit' }, 'exit', -1));
  }
  await Promise.all(inflight);
  if (firstFault) throw firstFault;
  return { lateness };
}
