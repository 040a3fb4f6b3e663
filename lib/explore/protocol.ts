import type { MessagePort } from 'node:worker_threads';
import type { AdapterRef, WorkerKind } from '../locks/types.js';
import type { ErrorInfo } from '../case/protocol.js';
import type { Point } from './point.js';

/** What is explored, as plain data: each thread and process loads it by reference. */
export type SubjectSpec =
  /** A lock adapter under the standard actor: acquire, save its document, read it back, release. */
  | { type: 'lock'; lock: AdapterRef; lockOptions: Record<string, unknown>; write: AdapterRef }
  /** A write strategy: every actor saves its document with it, then reads the file. */
  | { type: 'strategy'; write: AdapterRef }
  /** The user's own operations (ExploreOps), by module and export; with a lock, their withLock() takes it. */
  | { type: 'ops'; ops: AdapterRef; lock?: AdapterRef; lockOptions?: Record<string, unknown> };

/** Everything an actor host needs; plain data. */
export interface ExploreActorSpec {
  subject: SubjectSpec;
  worker: number;
  workers: number;
  kind: WorkerKind;
  /** The exploration's directory, emptied and set up again before every schedule. */
  dir: string;
}

/** How an actor's run of one schedule ended. */
export interface ActorEnd {
  /** What its body returned (the built-in subjects: the read's outcome), as plain data. */
  value?: unknown;
  error?: ErrorInfo;
  /** It ended at a point of an abandoned schedule. */
  abandoned?: true;
}

/**
 * What an actor counts in a schedule, sent with each announcement: releases it finished, fs calls
 * in flight, and points it went on from (which must be as many as the explorer let it go from).
 */
export interface Tally {
  releases: number;
  inflight: number;
  went: number;
  /** fs calls into the exploration's directory that the actor's thread saw made at no point (gate.ts). */
  strays?: string[];
}

/** From an actor to the explorer: it stopped at a point, or its body ended. */
export type Announcement = ({ type: 'point'; run: number; point: Point } | { type: 'end'; run: number; end: ActorEnd }) & Tally;

/** From an actor host: ready once its subject is loaded, or why it could not start. */
export type ExploreHostMessage = { type: 'ready' } | { type: 'start-failed'; error: ErrorInfo } | Announcement;

/** To an actor host: run the actor for schedule `run`. */
/**
 * To an actor host: run the actor for schedule `run`. `free`: with no stops at all (the uncounted
 * first run, which loads what the subject imports on first use and fills what libraries cache).
 */
export type ExploreDriverMessage = { type: 'begin'; run: number; free?: boolean };

/** The two cells of the grant word: a counter the actor waits on, and what it says. */
export const GRANT_SEQ = 0;
export const GRANT_WORD = 1;
export const GO = 1;
export const ABANDON = 2;

/**
 * In an actor's thread: blocks until the explorer grants past `seq` (GRANT_SEQ as read before the
 * announcement), and says whether the grant is to go on. A wake-up alone is no grant: the
 * explorer bumps the counter, then notifies, and a thread that saw the bump before it slept has
 * gone on to its next point by the time that notify comes, which would wake its next wait.
 */
export function awaitGrant(word: Int32Array, seq: number): boolean {
  while (Atomics.load(word, GRANT_SEQ) === seq) Atomics.wait(word, GRANT_SEQ, seq);
  return Atomics.load(word, GRANT_WORD) === GO;
}

/** To a thread host: its actor, the exploration's memory, the grant word, the port. */
export interface ExploreThreadTask {
  spec: ExploreActorSpec;
  /** The memory every thread's in-memory locks share; zeroed by the explorer before each schedule. */
  shared: SharedArrayBuffer;
  /** GRANT_SEQ and GRANT_WORD, as an Int32Array's cells. */
  grant: SharedArrayBuffer;
  /** Where it writes its announcements (mailbox.ts); the port carries only ready or start-failed. */
  mailbox: SharedArrayBuffer;
  port: MessagePort;
}

/** To a process host, first: its actor. Grants then come on fd 4, a byte each (`g`, `a`); it announces on fd 5, a JSON line each. */
export type ExploreProcessStart = { type: 'setup'; spec: ExploreActorSpec };

export const GRANT_FD = 4;
export const ANNOUNCE_FD = 5;
