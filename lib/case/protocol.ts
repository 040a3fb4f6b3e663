import type { MessagePort } from 'node:worker_threads';
import { thrownAt } from '../support/thrown-at.js';
import type { Op } from '../../schedules/types.js';
import type { AdapterRef, WorkerKind } from '../locks/types.js';
import type { ReadResult } from './outcome.js';
import type { FsStep } from '../writes/trace.js';

export const GRANULARITIES = ['lifetime', 'operation'] as const;
/**
 * `lifetime`: the actor takes its lock before its first command and leaves it at exit (as in the AppCache lock tests).
 * `operation`: the lock is held around each write…read pair, as an application would.
 */
export type Granularity = (typeof GRANULARITIES)[number];

/** Everything a worker needs to build its actor; plain data, so it crosses threads and processes. */
export interface ActorSpec {
  worker: number;
  kind: WorkerKind;
  /** The shared JSON file the actors contend for. */
  file: string;
  lockPath: string;
  lock: AdapterRef;
  lockOptions: Record<string, unknown>;
  /** How each write saves the file. */
  write: AdapterRef;
  /** Entries of the large stress document added to every write (stress scenarios); none by default. */
  payloadItems?: number;
  granularity: Granularity;
  /**
   * `driver` (step mode): a failed tryAcquire is reported as blocked and retried only when the
   * driver says so, which makes hand-over order deterministic. `self` (period mode): the actor
   * waits in `acquire()` on its own.
   */
  waiting: 'driver' | 'self';
}

export type Command = { op: Op; pause?: string } | { op: 'retry' };

export interface ErrorInfo {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

export type Reply =
  | {
      status: 'done';
      op: Op;
      read?: ReadResult;
      /** A write (or the resume that finished it) whose save failed as contention makes saves fail (ENOENT, EEXIST, EBUSY): an observation, not a fault. */
      failed?: ErrorInfo;
      holds: boolean;
      released: boolean;
      ms: number;
    }
  /** A write held just before the file-system step its pause names, until `resume`. */
  | { status: 'paused'; op: 'write'; step: FsStep }
  | { status: 'blocked'; op: Op }
  | { status: 'error'; op: Op | 'start'; error: ErrorInfo };

/** Messages from a worker host to the driver. */
export type HostMessage =
  /** The host is up and has loaded the actor's adapters; its lock is being made. */
  | { type: 'loaded' }
  | { type: 'ready' }
  | { type: 'start-failed'; error: ErrorInfo }
  | { type: 'reply'; id: number; reply: Reply }
  /** Period mode: request `id` found the lock taken and its actor now waits for it on its own. */
  | { type: 'blocked'; id: number }
  /** A process host whose actor is done and which can take the next one. */
  | { type: 'idle' };

/** Messages from the driver to a worker host. */
export type DriverMessage = { type: 'command'; id: number; command: Command };

/** To a thread host (a piscina task): the actor, the case's memory and the port to the driver. */
export interface ThreadTask {
  spec: ActorSpec;
  /** The case's shared memory: the same buffer in every thread, which is what lets them exclude. */
  shared: SharedArrayBuffer;
  port: MessagePort;
}

/** To a process host: the actor to run next. */
export type HostAssignment = { type: 'start'; spec: ActorSpec };

export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      ...(typeof code === 'string' ? { code } : {}),
      ...(error.stack ? { stack: error.stack } : {}),
    };
  }
  return { name: 'Error', message: String(error) };
}

/** An error a worker reports, as fault reports say it: `TypeError: … (at my-lock.ts:9:18)`. */
export function describeThrown(error: ErrorInfo): string {
  const at = thrownAt(error.stack);
  return `${error.name}: ${error.message}${at ? ` (at ${at})` : ''}`;
}
