export const WORKER_KINDS = ['async', 'thread', 'process'] as const;
export type WorkerKind = (typeof WORKER_KINDS)[number];

/**
 * Which contenders a lock keeps apart: other async actors in the same thread, other
 * worker_threads of the same process, other processes.
 */
export type Excludes = Record<WorkerKind, boolean>;

export interface LockContext {
  /** Worker number of the actor that owns this lock instance, from 1. */
  worker: number;
  kind: WorkerKind;
  /** A path shared by every contender of the case, for locks that live in the file system. */
  lockPath: string;
  /**
   * Memory for in-memory locks: the same buffer in every thread of the driver's process,
   * a buffer of its own in each child process (which is why such locks cannot exclude processes).
   */
  shared: Int32Array;
  /** One object per key for every actor of the case that runs in this thread. */
  local<T>(key: string, make: () => T): T;
  /** Aborted when the case is torn down; `acquire()` should stop waiting then. */
  signal: AbortSignal;
}

export interface Lock {
  /** Takes the lock if it is free, and never waits. */
  tryAcquire(): boolean | Promise<boolean>;
  /** Takes the lock, waiting as long as needed (or until the context's signal aborts). */
  acquire(): Promise<void>;
  /** Gives the lock back; a second call, or a call without holding it, does nothing. */
  release(): void | Promise<void>;
  /** Frees what the instance holds open (file descriptors, timers). */
  close?(): void | Promise<void>;
  /**
   * A fencing token of the current hold: greater than that of every earlier hold of the lock. A
   * store that refuses a write whose token is below one it has seen keeps out a holder whose lock
   * was given away while it was paused (Kleppmann's fencing). Locks that have none leave it out.
   */
  fence?(): bigint | undefined;
  /**
   * Settles when the library tells a holder it has lost the lock (proper-lockfile's onCompromised:
   * its lock was taken over as stale). Locks that cannot be lost, or never say so, leave it out.
   */
  lost?: Promise<Error>;
}

export interface LockAdapter<O extends object = Record<string, unknown>> {
  name: string;
  /** One line for tables and `--help`. */
  description: string;
  /** The npm package it wraps, if any: `contend audit` shows the version installed. */
  package?: string;
  /**
   * The server it locks on (postgres, redis, etcd). Its options then have a `url`: when it is
   * empty, contend starts a throwaway server of that kind for the run and fills the url in.
   */
  server?: ServerKind;
  excludes: Excludes;
  /**
   * Option values used where the case gives none. With defaults, every option must have one: an
   * option not named here, or of another type, is refused before any lock is made.
   */
  defaults?: O;
  /**
   * Judges the options a lock will be made with (the defaults under those given), before any is
   * made: throws an InvalidOptionError naming what is allowed.
   */
  checkOptions?(options: O): void;
  create(ctx: LockContext, options: O): Lock | Promise<Lock>;
}

export type { AdapterRef } from '../modules/registry.js';
import type { ServerKind } from '../servers/types.js';
