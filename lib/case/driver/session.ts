import type { Op } from '../../../schedules/types.js';
import { WorkerFaultError, type WorkerFault } from '../../errors.js';
import { ChannelFault, withinTime, type ActorChannel } from '../kinds/channel.js';
import type { ReadResult } from '../outcome.js';
import { describeThrown, type Command, type Reply } from '../protocol.js';

export interface TraceEntry {
  /** Index of the tick the action came from; -1 for the closing exits. */
  tick: number;
  worker: number;
  op: Op | 'retry';
  status: 'done' | 'blocked' | 'queued' | 'paused';
  /** For `paused`: the step the write is held before. */
  step?: string;
}

/** A save that failed as contention makes saves fail (ENOENT, EEXIST, EBUSY): what the strategy does under contention. Other errors (ENOSPC, EIO) are faults. */
export interface WriteFailure {
  worker: number;
  /** `write`, or `resume` when a paused write failed once let go. */
  op: Op;
  code: string;
  message: string;
}

export interface WorkerRead extends ReadResult {
  worker: number;
}

/**
 * The driver's view of a running case, shared by both modes: requests with a hang timeout,
 * faults turned into WorkerFaultError with worker number and action, reads and a trace recorded.
 */
export class CaseSession {
  readonly channels: ReadonlyMap<number, ActorChannel>;
  readonly reads: WorkerRead[] = [];
  readonly writeFailures: WriteFailure[] = [];
  readonly trace: TraceEntry[] = [];
  /** Workers whose last reply said they hold the lock. */
  readonly holding = new Set<number>();
  /** The worker that took the lock most recently. */
  lastHolder: number | undefined;
  readonly timings: Record<'write' | 'read', number[]> = { write: [], read: [] };
  private readonly timeoutMs: number;
  /** The first fault of each worker; a promise, since a hang may take a moment to be explained. */
  private readonly faults = new Map<number, Promise<WorkerFault>>();

  constructor(channels: ActorChannel[], timeoutMs: number) {
    this.channels = new Map(channels.map((c) => [c.worker, c]));
    this.timeoutMs = timeoutMs;
  }

  /** Sends one command; `action` names what the worker is doing, for fault reports. */
  async request(
    worker: number,
    command: Command,
    action: Op,
    tick: number,
    onBlocked?: () => void,
  ): Promise<Exclude<Reply, { status: 'error' }>> {
    const channel = this.channels.get(worker)!;
    const label = command.op === 'retry' ? `${action} (retry)` : action;
    let reply: Reply;
    const blocked = onBlocked
      ? (): void => {
          this.trace.push({ tick, worker, op: action, status: 'blocked' });
          onBlocked();
        }
      : undefined;
    try {
      reply = await withinTime(channel.request(command, blocked), this.timeoutMs, `no reply in ${this.timeoutMs} ms`);
    } catch (error) {
      // A worker fails once: requests queued behind the one that hung fail too when it is ended,
      // and must not be reported in its place (`died during 'read'` for a hang in 'write').
      // Claimed before any await, so that a request failing meanwhile finds it.
      const known = this.faults.get(worker);
      if (known) throw new WorkerFaultError([await known]);
      const first = error instanceof ChannelFault ? error : new ChannelFault('died', (error as Error).message);
      const explained = first.reason === 'hung' && channel.explainHang ? channel.explainHang(first) : Promise.resolve(first);
      const report = explained.then((fault): WorkerFault => ({ worker, action: label, reason: fault.reason, detail: fault.message }));
      this.faults.set(worker, report);
      const fault = await report;
      if (fault.reason === 'hung') await channel.kill();
      throw new WorkerFaultError([fault]);
    }
    if (reply.status === 'error') {
      throw new WorkerFaultError([{ worker, action: label, reason: 'threw', detail: describeThrown(reply.error) }]);
    }
    this.trace.push({ tick, worker, op: command.op, status: reply.status, ...(reply.status === 'paused' ? { step: `${reply.step.op} ${reply.step.detail}` } : {}) });
    if (reply.status === 'done') {
      if (reply.failed) this.writeFailures.push({ worker, op: reply.op, code: reply.failed.code ?? reply.failed.name, message: reply.failed.message });
      if (!reply.holds) this.holding.delete(worker);
      else if (!this.holding.has(worker)) {
        this.holding.add(worker);
        this.lastHolder = worker;
      }
      if (reply.read) this.reads.push({ worker, ...reply.read });
      if (reply.op === 'write' || reply.op === 'read') this.timings[reply.op].push(reply.ms);
    }
    return reply;
  }
}
