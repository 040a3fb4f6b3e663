import { AsyncLocalStorage } from 'node:async_hooks';
import { addFsCallHook, type FsCall } from '../support/fs-calls.js';
import { ContendError } from '../errors.js';
import { pointOfCall, type Point } from './point.js';
import type { Tally } from './protocol.js';

/**
 * How an actor waits at a point for the explorer's word: `true` to go on, `false` when the
 * schedule is being abandoned. A thread or a process blocks in it (that is how a synchronous fs
 * call is held); an async actor, sharing its thread with the explorer, gets a promise.
 */
export interface Holder {
  readonly blocks: boolean;
  /** `state` says what else the explorer needs: releases done, calls in flight. */
  hold(point: Point, state: ActorState): boolean | Promise<boolean>;
}

/** What a schedule's actor carries through its calls. */
export interface ActorState {
  readonly worker: number;
  readonly holder: Holder;
  /** Turns a path into what a timeline prints (relative to the exploration's directory). */
  readonly shorten: (path: string) => string;
  /** The actor holds its lock now (between a successful tryAcquire and its release). */
  holds: boolean;
  /** Inside a call into the lock adapter: its fs calls touch the lock's state too. */
  inLock: boolean;
  /** Releases this actor has finished in this schedule. */
  releases: number;
  /** Asynchronous fs calls issued and not finished yet. */
  inflight: number;
  /** Points it went on from (or was abandoned at) in this schedule. */
  went: number;
  /** Set once the explorer abandons the schedule: every later point throws at once. */
  abandoned: boolean;
  /** Its calls go unseen for now, and it stops nowhere (clean-up after an abandoned schedule; the uncounted first run). */
  unseen: boolean;
}

/** What an announcement carries of the actor's state. */
export const tallyOf = (state: ActorState): Tally => ({ releases: state.releases, inflight: state.inflight, went: state.went });

/** Thrown at a point of an abandoned schedule (a deadlock, the depth bound, a fault elsewhere). */
export class ScheduleAbandoned extends ContendError {
  constructor() {
    super('E_SCHEDULE_ABANDONED', 'the explorer abandoned this schedule');
  }
}

// Async actors share the explorer's thread: each carries its state through its own calls. A
// thread or process host runs one actor, the whole thread's.
const scoped = new AsyncLocalStorage<ActorState>();
let threadActor: ActorState | undefined;

const current = (): ActorState | undefined => scoped.getStore() ?? threadActor;

/** Runs `body` as the actor `state`: its fs calls and points stop where the explorer says. */
export function runAsActor<T>(state: ActorState, body: () => Promise<T>): Promise<T> {
  installExploreCalls();
  if (state.holder.blocks) {
    threadActor = state;
    return body().finally(() => {
      if (threadActor === state) threadActor = undefined;
    });
  }
  return scoped.run(state, body);
}

/** Waits at `point` (with the actor's lock state added); throws if the schedule is abandoned. */
export function stopAt(state: ActorState, point: Point): void | Promise<void> {
  if (state.unseen) return undefined;
  if (state.abandoned) throw new ScheduleAbandoned();
  const full: Point = { ...point, ...(state.holds ? { holds: true as const } : {}) };
  if (state.inLock && !full.writes.includes('lock')) full.writes = [...full.writes, 'lock'];
  const go = state.holder.hold(full, state);
  const settle = (ok: boolean): void => {
    state.went++;
    if (!ok) {
      state.abandoned = true;
      throw new ScheduleAbandoned();
    }
  };
  if (typeof go === 'boolean') return settle(go);
  return go.then(settle);
}

function beforeCall(call: FsCall): void | Promise<void> {
  const state = current();
  // Calls fs makes inside a call already held are part of it; an async actor's synchronous calls
  // cannot interleave with the other actors of its thread, so they are no points of their own.
  const sync = call.form === 'sync' || call.form === 'external';
  if (!state || state.unseen || call.nested || (sync && !state.holder.blocks)) return undefined;
  const stop = (): void | Promise<void> => stopAt(state, pointOfCall(call, state.shorten));
  const waited = call.op === 'close' ? closeAnyway(stop) : stop();
  if (sync) return waited;
  if (!waited) {
    state.inflight++;
    return undefined;
  }
  return waited.then(() => void state.inflight++);
}

/**
 * A close still closes when the schedule is abandoned, whether the actor was held at it then or
 * reaches it while unwinding (in a finally block): else the file stays open in the actor's thread
 * for as long as the thread lives. The actor unwinds from its next other point instead.
 */
function closeAnyway(stop: () => void | Promise<void>): void | Promise<void> {
  const passAbandoned = (error: unknown): void => {
    if (!(error instanceof ScheduleAbandoned)) throw error;
  };
  try {
    return stop()?.catch(passAbandoned);
  } catch (error) {
    return passAbandoned(error);
  }
}

function afterCall(call: FsCall): void {
  const state = current();
  if (state && call.form !== 'sync' && call.form !== 'external' && !call.nested && state.inflight > 0) state.inflight--;
}

let installed = false;

/** Puts the explorer's stops on this thread's fs calls; before any subject's code loads. */
export function installExploreCalls(): void {
  if (installed) return;
  installed = true;
  addFsCallHook({ before: beforeCall, after: afterCall });
}

/** Runs `fn` with the actor's calls unseen: no points, whatever the schedule's state. */
export async function offRecord<T>(state: ActorState, fn: () => Promise<T>): Promise<T> {
  const was = state.unseen;
  state.unseen = true;
  try {
    return await fn();
  } finally {
    state.unseen = was;
  }
}

/**
 * A point of your own, for `contend explore`: the actor stops here and the explorer chooses who
 * moves next, as at an fs call. Everywhere else it does nothing. It commutes with nothing.
 */
export async function point(name: string): Promise<void> {
  const state = current();
  if (state && !state.unseen) await stopAt(state, { op: name, detail: '', reads: [], writes: ['*'] });
}
