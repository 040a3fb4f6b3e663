import { join } from 'node:path';
import { toErrorInfo } from '../case/protocol.js';
import { runAsActor, ScheduleAbandoned, stopAt, tallyOf, type ActorState, type Holder } from './gate.js';
import { START } from './point.js';
import { pathWithin } from '../support/paths.js';
import type { ActorEnd, Announcement, ExploreActorSpec } from './protocol.js';
import type { ActorMemory, LoadedSubject } from './subjects.js';

/** What an actor says to the explorer, whatever carries it. */
export type Announce = (announcement: Announcement) => void;

/** A fresh state for one actor's run of one schedule. */
/** @param free no stops at all: every call unseen (the uncounted first run) */
export function actorState(spec: ExploreActorSpec, holder: Holder, free = false): ActorState {
  const shorten = (path: string): string => pathWithin(spec.dir, path) ?? path;
  return { worker: spec.worker, holder, dir: spec.dir, shorten, holds: false, inLock: false, releases: 0, inflight: 0, went: 0, abandoned: false, unseen: free, ended: false };
}

/**
 * Runs the subject's actor for schedule `run` and announces its end. A throw at a point of an
 * abandoned schedule is that, not the actor's error.
 */
export async function runActor(subject: LoadedSubject, spec: ExploreActorSpec, state: ActorState, memory: ActorMemory, run: number, announce: Announce): Promise<void> {
  const ctx = { worker: spec.worker, workers: spec.workers, kind: spec.kind, dir: spec.dir, file: join(spec.dir, 'state.json') };
  let end: ActorEnd;
  try {
    const value = await runAsActor(state, async () => {
      await stopAt(state, START);
      return subject.actor(ctx, state, memory);
    });
    end = { value: plain(value) };
  } catch (error) {
    end = state.abandoned || error instanceof ScheduleAbandoned ? { abandoned: true } : { error: toErrorInfo(error) };
  }
  state.ended = true;
  announce({ type: 'end', run, end, ...tallyOf(state) });
}

// What crosses a thread or a process must be plain data; anything else is described.
function plain(value: unknown): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(JSON.stringify(value)) as unknown;
  } catch {
    return String(value);
  }
}
