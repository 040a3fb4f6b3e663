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
  | ({ op: 'counter-write' } & CounterOrder)
  | ({ op: 'locked-increment'; lock: HoldOrder } & CounterOrder)
  /** Saves with the strategy, held before the first `pauseBefore` step (a `paused` event) until resumed. */
  | { op: 'save'; strategy: AdapterRef; path: string; data: string; pauseBefore?: string }
  /** Lets the held save or reclaim of command `of` go on. */
  | { op: 'resume'; of: number }
  | { op: 'pid' };

export interface HostRequest {
  id: number;
  command: HostCommand;
}

export interface HostReply {
  id: number;
  /** A milestone before the command's end (`stalling`, `paused`). */
  event?: string;
  result?: Record<string, unknown>;
  /** The command failed: the error's code and message. */
  error?: { code?: string; message: string };
}
