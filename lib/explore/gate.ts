import { AsyncLocalStorage } from 'node:async_hooks';
import { addFsCallHook, type FsCall } from '../support/fs-calls.js';
import { ContendError } from '../errors.js';
import { pointOfCall, type Point } from './point.js';
import { pathWithin } from '../support/paths.js';
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
  /** The exploration's directory. */
  readonly dir: string;
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
  /** Its run has ended and been announced: a call made in its name now is a stray. */
  ended: boolean;
}

/** What an announcement carries of the actor's state, and the strays its thread saw since the last. */
export function tallyOf(state: ActorState): Tally {
  const strays = takeStrays(state.dir);
  return { releases: state.releases, inflight: state.inflight, went: state.went, ...(strays.length ? { strays } : {}) };
}

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
    // The thread's actor is whoever runs now, also where a library's callback has lost the async
    // context; the context still tells a call left behind by an earlier run from this run's own.
    threadActor = state;
    return scoped.run(state, body).finally(() => {
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

/*
 * Strays: fs calls into an exploration's directory that no actor made at a point. An actor's call
 * is either held at a point, or made while the explorer knows it goes unseen (its clean-up after
 * an abandoned schedule, the uncounted first run). A call that outlives its actor's run (not
 * awaited, or a library's timer), or that has lost its actor's async context (a callback an event
 * emitter runs), happens where the explorer cannot order it: runs of one schedule then differ for
 * no reason the search can see. Each is noted with where it came from, and the explorer stops.
 */
const strays = new Map<string, string[]>();
/** Directories where a call in no actor's name is a stray: the hosts' always, the explorer's while a schedule runs. */
const watched = new Set<string>();

/** Starts noting calls into `dir` made in no actor's name; returns the stop. */
export function watchForStrays(dir: string): () => void {
  installExploreCalls();
  watched.add(dir);
  return () => void watched.delete(dir);
}

/** The strays into `dir` noted in this thread since the last call. */
export function takeStrays(dir: string): string[] {
  const found = strays.get(dir) ?? [];
  strays.delete(dir);
  return found;
}

// The first frames outside contend's hooks: whose call it was.
const callerFrames = (): string =>
  (new Error().stack ?? '')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().replace(/^at /, ''))
    .filter((line) => !/fs-calls\.|explore[/\\]gate\.|node:internal/.test(line))
    .slice(0, 3)
    .join(' < ') || 'unknown';

function noteStray(call: FsCall, state: ActorState | undefined): void {
  for (const dir of state ? [state.dir] : watched) {
    const paths = call.paths.flatMap((p) => (p.startsWith('fd ') ? [] : (pathWithin(dir, p) ?? [])));
    if (!paths.length) continue;
    const what = `${call.form === 'sync' ? `${call.op}Sync` : call.op} ${paths.join(' → ')}`;
    const whose = state ? `actor ${state.worker}'s, after its run ended` : "in no actor's name";
    strays.set(dir, [...(strays.get(dir) ?? []), `${what} (${whose}; from ${callerFrames()})`]);
  }
}

function beforeCall(call: FsCall): void | Promise<void> {
  const state = current();
  if (!call.nested && (state ? state.ended : watched.size > 0)) noteStray(call, state);
  // Calls fs makes inside a call already held are part of it; an async actor's synchronous calls
  // cannot interleave with the other actors of its thread, so they are no points of their own.
  const sync = call.form === 'sync' || call.form === 'external';
  if (!state || state.ended || state.unseen || call.nested || (sync && !state.holder.blocks)) return undefined;
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
  if (state && !state.ended && call.form !== 'sync' && call.form !== 'external' && !call.nested && state.inflight > 0) state.inflight--;
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
