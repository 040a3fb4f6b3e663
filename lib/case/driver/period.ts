import { setTimeout as sleep } from 'node:timers/promises';
import type { Op, Schedule } from '../../../schedules/types.js';
import type { CaseSession } from './session.js';

export interface PeriodRun {
  /** How late each tick was dispatched, ms: a tick later than the period no longer means what the schedule says. */
  lateness: number[];
}

/**
 * The wall-clock driver of the AppCache lock tests: sleep until each tick, then send its actions in their order. Inside
 * a tick each action is awaited until it is done or its actor reports it waits for the lock, so
 * force-write means the writes have landed before the reads start; an actor that waits takes the
 * lock by itself when it can, and what it is sent meanwhile queues behind.
 */
export async function runPeriodSchedule(session: CaseSession, schedule: Schedule): Promise<PeriodRun> {
  const inflight: Promise<unknown>[] = [];
  const lateness: number[] = [];
  // Worker → the request it is waiting on the lock for.
  const waiting = new Map<number, number>();
  let requests = 0;
  // The first fault ends the run at once: no more ticks, no waiting for the others (the case's
  // teardown ends them). It is the one reported.
  let firstFault: unknown;
  const stop = new AbortController();

  const aborted = new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));

  const send = async (worker: number, op: Op, tick: number, pause?: string): Promise<void> => {
    const id = ++requests;
    const queuedBehind = waiting.has(worker);
    let accepted!: () => void;
    const blocked = new Promise<void>((resolve) => (accepted = resolve));
    const reply = session
      .request(worker, { op, ...(pause ? { pause } : {}) }, op, tick, () => {
        waiting.set(worker, id);
        accepted();
      })
      .then(
        () => {
          if (waiting.get(worker) === id) waiting.delete(worker);
        },
        (error: unknown) => {
          firstFault ??= error;
          stop.abort();
        },
      );
    inflight.push(reply);
    if (!queuedBehind) await Promise.race([reply, blocked, aborted]);
  };

  const start = performance.now();
  const exited = new Set<number>();
  run: for (const [index, tick] of schedule.ticks.entries()) {
    const due = start + tick.at * 1000;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait, undefined, { signal: stop.signal }).catch(() => {});
    lateness.push(Math.max(0, performance.now() - due));
    for (const action of tick.actions) {
      if (firstFault) break run;
      if (action.op === 'exit') exited.add(action.worker);
      await send(action.worker, action.op, index, action.pause);
    }
  }
  for (let worker = 1; worker <= schedule.workers && !firstFault; worker++) {
    if (!exited.has(worker)) await send(worker, 'exit', -1);
  }
  await Promise.race([Promise.all(inflight), aborted]);
  if (firstFault) throw firstFault;
  return { lateness };
}
