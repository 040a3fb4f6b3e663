import type { FaultReason } from '../../errors.js';
import { settledWithin } from '../../support/deadline.js';
import { describeThrown, type Command, type HostMessage, type Reply } from '../protocol.js';

/** How long a worker may take to end after its exit reply before it is ended by force, ms. */
export const CLOSE_GRACE_MS = 2_000;

/** Why a worker stopped answering: the driver turns it into a WorkerFault with the action. */
export class ChannelFault extends Error {
  readonly reason: FaultReason;
  /** The code of the error the worker threw, when it had one (E_ADAPTER_LOAD). */
  readonly code: string | undefined;
  constructor(reason: FaultReason, detail: string, code?: string) {
    super(detail);
    this.reason = reason;
    this.code = code;
  }
}

/** The driver's side of one actor, whatever kind of worker runs it. */
export interface ActorChannel {
  readonly worker: number;
  /** `onBlocked`: period mode's notice that the actor found the lock taken and waits for it. */
  request(command: Command, onBlocked?: () => void): Promise<Reply>;
  /** After `exit`: waits for the worker to end by itself, and ends it if it does not. */
  close(): Promise<void>;
  /** Ends the worker now (a hang, a fault elsewhere, a test that failed). */
  kill(): Promise<void>;
  /**
   * The fault to report for a request the driver timed out (`hung`). An async actor's may instead
   * have blocked the event loop, timers included, which its watchdog reports a moment later.
   */
  explainHang?(hang: ChannelFault): Promise<ChannelFault>;
}

/**
 * Request/response bookkeeping over a message port: numbered requests, replies matched by
 * number, every outstanding request failed at once when the worker dies.
 */
export class PendingReplies {
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void; onBlocked?: () => void }>();
  private fault: ChannelFault | undefined;

  /** Registers a request; `send` gets its number. */
  request(send: (id: number) => void, onBlocked?: () => void): Promise<Reply> {
    if (this.fault) return Promise.reject(this.fault);
    const id = this.next++;
    return new Promise<Reply>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, ...(onBlocked ? { onBlocked } : {}) });
      try {
        send(id);
      } catch (error) {
        this.waiting.delete(id);
        reject(new ChannelFault('died', `cannot send: ${(error as Error).message}`));
      }
    });
  }

  /** Feeds a host message in; returns it back when it is not a reply. */
  receive(message: HostMessage): HostMessage | undefined {
    if (message.type === 'blocked') {
      this.waiting.get(message.id)?.onBlocked?.();
      return undefined;
    }
    if (message.type !== 'reply') return message;
    const entry = this.waiting.get(message.id);
    this.waiting.delete(message.id);
    entry?.resolve(message.reply);
    return undefined;
  }

  failAll(fault: ChannelFault): void {
    this.fault ??= fault;
    for (const entry of this.waiting.values()) entry.reject(fault);
    this.waiting.clear();
  }
}

/**
 * How long a thread or process may take to come up and load contend and the actor's adapters, ms.
 * Not the start timeout: on a busy machine a cold start takes seconds, and that is no fault of
 * the adapter. The start timeout counts from there, and times the adapter's own create().
 */
export const BOOT_TIMEOUT_MS = 120_000;

/**
 * A host's start, as the driver waits for it: first up (contend and the adapters loaded), then
 * ready, or the reason it could not start. Actor hosts and workload clients say the same two steps.
 */
export interface Readiness {
  /** The host is up with the adapters loaded (or ready, or failed). */
  loaded: Promise<void>;
  ready: Promise<void>;
  isReady: boolean;
  markLoaded(): void;
  markReady(): void;
  fail(e: Error): void;
  /** Takes an actor host's start messages (`loaded`, `ready`, `start-failed`). */
  settle(m: HostMessage): void;
}

export function readiness(): Readiness {
  let onLoaded!: () => void;
  let onReady!: () => void;
  let onFailed!: (e: Error) => void;
  const ready = new Promise<void>((resolve, reject) => ((onReady = resolve), (onFailed = reject)));
  // A failure ends the wait for both: `started` then meets it in `ready`.
  const loaded = new Promise<void>((resolve) => (onLoaded = resolve));
  ready.catch(() => {});
  let isReady = false;
  const markReady = (): void => {
    isReady = true;
    onLoaded();
    onReady();
  };
  const fail = (e: Error): void => {
    onFailed(e);
    onLoaded();
  };
  return {
    loaded,
    ready,
    get isReady() {
      return isReady;
    },
    markLoaded: onLoaded,
    markReady,
    fail,
    settle(m) {
      if (m.type === 'loaded') onLoaded();
      else if (m.type === 'ready') markReady();
      else if (m.type === 'start-failed') fail(new ChannelFault('threw', describeThrown(m.error), m.error.code));
    },
  };
}

/** Up within the boot timeout, then ready within the start timeout: the adapter's create() alone is timed. */
export async function started(start: Pick<Readiness, 'loaded' | 'ready'>, startTimeoutMs: number): Promise<void> {
  await withinTime(start.loaded, BOOT_TIMEOUT_MS, `not up in ${BOOT_TIMEOUT_MS} ms (contend and the adapters were still loading)`);
  await withinTime(start.ready, startTimeoutMs, `not ready in ${startTimeoutMs} ms`);
}

/** Settles like `promise`, or fails with a `hung` fault once `ms` have passed without an answer. */
export function withinTime<T>(promise: Promise<T>, ms: number, detail: string): Promise<T> {
  return settledWithin(promise, ms, () => new ChannelFault('hung', detail));
}
