import type { Action, Op, Schedule } from '../../../schedules/types.js';
import { DeadlockError } from '../../errors.js';
import type { CaseSession } from './session.js';

/**
 * The deterministic driver. Actions go out one at a time, in tick order; each is awaited until it
 * is done or its actor reports it is blocked on its lock. A blocked actor does not wait on its own:
 * after every release the driver asks the blocked actors, oldest first, to try again, so who gets
 * the lock next is decided by the schedule and not by which poll fires first.
 */
export async function runStepSchedule(session: CaseSession, schedule: Schedule): Promise<void> {
  const queued = new Map<number, Action[]>();
  const blocked: number[] = [];
  const blockedOn = new Map<number, Op>();
  let settling = false;

  const queue = (worker: number): Action[] => {
    let q = queued.get(worker);
    if (!q) queued.set(worker, (q = []));
    return q;
  };

  const send = async (worker: number, op: Op | 'retry', tick: number, pause?: string): Promise<boolean> => {
    const action = op === 'retry' ? blockedOn.get(worker)! : op;
    const reply = await session.request(worker, op === 'retry' ? { op } : { op, ...(pause ? { pause } : {}) }, action, tick);
    if (reply.status === 'blocked') {
      if (!blocked.includes(worker)) blocked.push(worker);
      blockedOn.set(worker, action);
      return false;
    }
    const at = blocked.indexOf(worker);
    if (at >= 0) blocked.splice(at, 1);
    blockedOn.delete(worker);
    // A paused write is under way: like a done action, the schedule goes on past it.
    if (reply.status === 'done' && reply.released) await settle(tick);
    return true;
  };

  // Runs what an actor had to leave waiting, until its queue is empty or it blocks again.
  const drain = async (worker: number, tick: number): Promise<void> => {
    const q = queue(worker);
    while (q.length) {
      const next = q.shift()!;
      if (!(await send(worker, next.op, tick, next.pause))) return;
    }
  };

  // Hands a released lock on: the oldest blocked actor that now gets it runs its backlog, then the
  // scan starts over, since that may have released the lock again.
  const settle = async (tick: number): Promise<void> => {
    if (settling) return;
    settling = true;
    try {
      let progressed = true;
      while (progressed) {
        progressed = false;
        for (const worker of [...blocked]) {
          if (await send(worker, 'retry', tick)) {
            await drain(worker, tick);
            progressed = true;
            break;
          }
        }
      }
    } finally {
      settling = false;
    }
  };

  const dispatch = async (action: Action, tick: number): Promise<void> => {
    const { worker, op } = action;
    if (blocked.includes(worker) || queue(worker).length) {
      queue(worker).push(action);
      session.trace.push({ tick, worker, op, status: 'queued' });
      return;
    }
    await send(worker, op, tick, action.pause);
  };

  const exited = new Set<number>();
  for (const [index, tick] of schedule.ticks.entries()) {
    for (const action of tick.actions) {
      if (action.op === 'exit') exited.add(action.worker);
      await dispatch(action, index);
    }
  }
  // Every actor leaves at the end, in worker order, and the lock is handed on until nothing moves.
  for (let worker = 1; worker <= schedule.workers; worker++) {
    if (!exited.has(worker)) await dispatch({ worker, op: 'exit' }, -1);
  }
  await settle(-1);
  if (blocked.length) {
    throw new DeadlockError([...blocked].sort((a, b) => a - b), [...session.holding].sort((a, b) => a - b), session.lastHolder);
  }
}
