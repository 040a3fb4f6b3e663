import type { AdapterRef } from '../locks/types.js';

/** Where a holder keeps its lock: in the host process itself, or in a worker_thread of it. */
export interface HoldOrder {
  lock: AdapterRef;
  lockOptions: Record<string, unknown>;
  lockPath: string;
}

export interface CounterOrder {
  writer: string;
  strategy: AdapterRef;
  path: string;
}

/** What the audit asks of a host process (workers/audit-host), one command at a time. */
export type HostCommand =
  | ({ op: 'hold'; inThread?: boolean } & HoldOrder)
  /** Blocks the event loop until `until` exists (said first by a `stalling` event), then waits `settleMs` for a `lost` notice. */
  | { op: 'stall'; until: string; settleMs: number }
  /**
   * Attempts the lock, held just before its first removal (a stale lock being reclaimed: a
   * `paused` event) until resumed; retries while the lock is not yet stale, up to `boundMs`.
   */
  | ({ op: 'reclaim'; boundMs: number } & HoldOrder)
  | { op: 'release' }
  | { op: 'close-other-fd'; path: string }
  | { op: 'terminate-thread' }
  /** `waiters` waits on a held lock through the library's own waiting call, then one unrelated read. */
  | { op: 'pool'; library: string; lockPath: string; probe: string; waiters: number }
  | ({ op: 'counter-read' } & CounterOrder)
  /** With `fence`, the write goes to the store with that fencing token, which refuses a stale one (lib/audit/fencing.ts). */
  | ({ op: 'counter-write'; fence?: string } & CounterOrder)
  | ({ op: 'locked-increment'; lock: HoldOrder } & CounterOrder)
  /** Saves with the strategy, held before the first `pauseBefore` step (a `paused` event) until resumed. */
  | { op: 'save'; strategy: AdapterRef; path: string; data: string; pauseBefore?: string }
  /** Lets the held save or reclaim of command `of` go on. */
  | { op: 'resume'; of: number }
  | { op: 'pid' };

export type HostOp = HostCommand['op'];
export type CommandOf<Op extends HostOp> = Extract<HostCommand, { op: Op }>;

/** A save's end, as the host saw it: its steps traced or not, the temp file it renamed from. */
export type SaveEnd =
  | {
      saved: true;
      /** Whether the traced fs saw the save write or rename at all. */
      traced: boolean;
      /** The temp file renamed onto the target, when there was one. */
      renamedFrom?: string;
      /** The step named by `pauseBefore` was synchronous, so the save ran through it. */
      unholdable?: boolean;
    }
  | { saved: false; code?: string; error: string };

/** A reclaim's end: whether the lock was got, and the removal it was held at or ran through (synchronous). */
export interface ReclaimEnd {
  held: boolean;
  step?: string;
  unholdable?: string;
}

/** What each command answers with, by its op: the host's handlers and the audit's calls are typed by this. */
export interface HostResults {
  /** The lock's fencing token for this hold, when it gives one. */
  hold: { token?: string };
  /** `lost`: what the lock's `lost` said within `settleMs` after the stall. */
  stall: { lost?: string };
  reclaim: ReclaimEnd;
  release: { released: true } | { released: false; error: string };
  'close-other-fd': Empty;
  'terminate-thread': Empty;
  /** Which came first: the unrelated read, or every pool thread parked in a lock wait. */
  pool: { first: PoolFirst };
  'counter-read': { value: number };
  /** `refused`: the store had seen a greater fencing token (its value). */
  'counter-write': { value: number; refused?: string };
  'locked-increment': { value: number };
  save: SaveEnd;
  resume: Empty;
  pid: { pid: number };
}
export type Empty = Record<string, never>;
export type PoolFirst = 'read' | 'parked';

/** A milestone a command reaches before its end: a stall begun, a save or reclaim held, a pool's first. */
export type HostEvent = { event: 'stalling' } | { event: 'paused'; step: string } | { event: PoolFirst };

export interface HostRequest {
  id: number;
  command: HostCommand;
}

/**
 * What the host sends about request `id`: its milestones, then one end. The result's type is the
 * one `HostResults` gives the request's op; the id is what ties them, so the audit's side narrows it.
 */
export type HostReply =
  | { id: number; milestone: HostEvent }
  | { id: number; result: HostResults[HostOp] }
  /** The command failed: the error's code and message. */
  | { id: number; error: { code?: string; message: string } };
