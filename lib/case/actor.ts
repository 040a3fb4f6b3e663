import { readFile } from 'node:fs/promises';
import { threadId } from 'node:worker_threads';
import type { Op } from '../../schedules/types.js';
import { createLock, loadAdapter } from '../locks/load.js';
import { writerDocument } from '../writes/document.js';
import { loadWriteStrategy } from '../writes/load.js';
import { cannotPauseSync, installFsTrace, withStepHook, type FsStep } from '../writes/trace.js';
import type { WriteStrategy } from '../writes/types.js';
import type { Lock, LockContext } from '../locks/types.js';
import type { LoopWatch } from './kinds/watchdog.js';
import { classifyRead, type ReadResult } from './outcome.js';
import { toErrorInfo, type ActorSpec, type Command, type ErrorInfo, type Reply } from './protocol.js';

/** The errors other writers of the same file can cause a save: observations, not faults. */
const CONTENTION_ERRNOS = new Set(['ENOENT', 'EEXIST', 'EBUSY']);

export interface ActorEnvironment {
  shared: Int32Array;
  local: Map<string, unknown>;
  signal: AbortSignal;
  /** Async actors: marks each call into adapter code, for the watchdog of a blocked event loop. */
  watch?: LoopWatch;
}

/**
 * One contender. It owns a lock instance, carries out write / read / exit one at a time, and
 * reports each read's outcome. The same class runs as an async task, in a worker_thread and in
 * a child process.
 */
export class Actor {
  private readonly spec: ActorSpec;
  private readonly lock: Lock;
  private readonly strategy: WriteStrategy;
  private holds = false;
  private written: string | undefined;
  private writes = 0;
  private blockedOn: Op | undefined;
  private blockedPause: string | undefined;
  /** A write held at its pause point: what lets it go on, and its end. */
  private held: { resume: () => void; abandon: (reason: Error) => void; finished: Promise<ErrorInfo | undefined> } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private exited = false;
  private readonly watch: LoopWatch | undefined;
  /** The action under way, for the watchdog's report. */
  private action = 'start';

  private constructor(spec: ActorSpec, lock: Lock, strategy: WriteStrategy, watch: LoopWatch | undefined) {
    this.spec = spec;
    this.lock = lock;
    this.strategy = strategy;
    this.watch = watch;
  }

  /** Calls into adapter code; its synchronous part is what can block an async actor's thread. */
  private adapterCall<T>(call: string, fn: () => T): T {
    return guarded(this.watch, this.action, call, fn);
  }

  /** @param onLoaded called once the adapters are loaded, before the lock is made */
  static async create(spec: ActorSpec, env: ActorEnvironment, onLoaded?: () => void): Promise<Actor> {
    // Before the strategy loads: a pause point needs to see the steps of whatever it loads.
    installFsTrace();
    const [adapter, strategy] = await Promise.all([loadAdapter(spec.lock), loadWriteStrategy(spec.write)]);
    onLoaded?.();
    const ctx: LockContext = {
      worker: spec.worker,
      kind: spec.kind,
      lockPath: spec.lockPath,
      shared: env.shared,
      signal: env.signal,
      local<T>(key: string, make: () => T): T {
        if (!env.local.has(key)) env.local.set(key, make());
        return env.local.get(key) as T;
      },
    };
    const lock = await guarded(env.watch, 'start', 'create', () => createLock(adapter, ctx, spec.lockOptions));
    return new Actor(spec, lock, strategy, env.watch);
  }

  /** Commands run strictly one after another, whoever sends them and however fast. */
  handle(command: Command, onBlocked?: () => void): Promise<Reply> {
    const next = this.queue.then(() => this.run(command, onBlocked));
    this.queue = next.catch(() => {});
    return next;
  }

  /** Frees the lock instance; used on exit and when a case is torn down. */
  async dispose(): Promise<void> {
    if (this.exited) return;
    this.exited = true;
    try {
      // A save held at its pause point is failed at that step, so its temp file and fd are
      // cleaned up by the strategy, and only then is the lock given back.
      const held = this.held;
      this.held = undefined;
      if (held) {
        held.abandon(new Error('the case ended while this write was paused'));
        await held.finished.catch(() => {});
      }
      await this.releaseIfHeld();
    } finally {
      await this.adapterCall('close', () => this.lock.close?.());
    }
  }

  private async run(command: Command, onBlocked?: () => void): Promise<Reply> {
    const op = command.op === 'retry' ? this.blockedOn : command.op;
    this.action = op ?? 'start';
    if (op === undefined) return { status: 'error', op: 'start', error: toErrorInfo(new Error('retry sent to a worker that is not blocked')) };
    try {
      if (command.op !== 'retry' && this.blockedOn) throw new Error(`'${command.op}' sent while blocked on '${this.blockedOn}'`);
      if (this.exited) throw new Error(`'${op}' sent after exit`);
      if (op === 'resume') return await this.resume();
      if (this.held) throw new Error(`'${op}' sent while a write is paused; resume it first`);
      const pause = command.op === 'retry' ? this.blockedPause : command.pause;
      if (this.needsLock(op) && !this.holds) {
        if (!(await this.adapterCall('tryAcquire', () => this.lock.tryAcquire()))) {
          if (this.spec.waiting === 'driver') {
            this.blockedOn = op;
            this.blockedPause = pause;
            return { status: 'blocked', op };
          }
          onBlocked?.();
          await this.adapterCall('acquire', () => this.lock.acquire());
        }
        this.holds = true;
      }
      this.blockedOn = undefined;
      this.blockedPause = undefined;
      const started = performance.now();
      let read: ReadResult | undefined;
      let failed: ErrorInfo | undefined;
      let released = false;
      if (op === 'write') {
        const save = this.write(pause);
        const first = await Promise.race([save.finished.then(() => undefined), save.paused]);
        if (first) {
          this.held = { resume: save.resume, abandon: save.abandon, finished: save.finished };
          return { status: 'paused', op, step: first };
        }
        failed = await save.finished;
      } else if (op === 'read') {
        read = await this.read();
        if (this.spec.granularity === 'operation') released = await this.releaseIfHeld();
      } else {
        released = this.holds;
        await this.dispose();
      }
      const ms = performance.now() - started;
      return { status: 'done', op, holds: this.holds, released, ms, ...(read ? { read } : {}), ...(failed ? { failed } : {}) };
    } catch (error) {
      return { status: 'error', op, error: toErrorInfo(error) };
    }
  }

  private async resume(): Promise<Reply> {
    const held = this.held;
    if (!held) throw new Error("'resume' sent, but no write of this worker is paused (did its save never reach the pause step?)");
    this.held = undefined;
    const started = performance.now();
    held.resume();
    const failed = await held.finished;
    return { status: 'done', op: 'resume', holds: this.holds, released: false, ms: performance.now() - started, ...(failed ? { failed } : {}) };
  }

  // lifetime: the lock is taken before the first command of any kind; operation: before a write.
  private needsLock(op: Op): boolean {
    if (op === 'exit' || op === 'resume') return false;
    return this.spec.granularity === 'lifetime' || op === 'write';
  }

  private async releaseIfHeld(): Promise<boolean> {
    if (!this.holds) return false;
    this.holds = false;
    await this.adapterCall('release', () => this.lock.release());
    return true;
  }

  /**
   * Saves this worker's content with the strategy. With a pause (`rename`, `write#2`) the save is
   * held just before that step: `paused` resolves with the step, and `resume` lets it go on. A save
   * that fails with a file-system error is what the strategy did, so it is reported, not thrown.
   */
  private write(pause?: string): {
    paused: Promise<FsStep | undefined>;
    resume: () => void;
    abandon: (reason: Error) => void;
    finished: Promise<ErrorInfo | undefined>;
  } {
    this.writes += 1;
    const { worker, kind } = this.spec;
    const meta = { worker, name: `worker-${worker}`, kind, pid: process.pid, threadId, write: this.writes };
    const content = JSON.stringify(writerDocument(meta, this.spec.payloadItems), null, this.spec.payloadItems ? 2 : undefined);
    let reached!: (step: FsStep) => void;
    const paused = new Promise<FsStep>((resolve) => (reached = resolve));
    let resume!: () => void;
    let abandon!: (reason: Error) => void;
    const resumed = new Promise<void>((resolve, reject) => {
      resume = resolve;
      abandon = reject;
    });
    const [stepOp, nth] = (pause ?? '').split('#');
    let seen = 0;
    const save = async (): Promise<void> => {
      await this.adapterCall('save', () => this.strategy.save(this.spec.file, content));
    };
    const running = pause
      ? withStepHook((step) => {
          if (step.op !== stepOp || ++seen !== Number(nth ?? 1)) return;
          // Failed here, during the write, rather than reported paused and failed at the resume.
          if (step.sync) throw cannotPauseSync(step.op);
          reached(step);
          return resumed;
        }, save)
      : save();
    const finished = running.then(
      () => {
        this.written = content;
        return undefined;
      },
      (error: unknown) => {
        // What contention does to a save (a temp file renamed away by another writer, a name
        // taken) is an observation; anything else (a full disk, EIO, EMFILE) is the machine's
        // fault and not a write failure the case records: it is thrown, and reported as the worker's error.
        if (CONTENTION_ERRNOS.has((error as NodeJS.ErrnoException).code ?? '')) return toErrorInfo(error);
        throw error;
      },
    );
    return { paused: pause ? Promise.race([paused, finished.then(() => undefined)]) : Promise.resolve(undefined), resume, abandon, finished };
  }

  private async read(): Promise<ReadResult> {
    let text: string | undefined;
    try {
      text = await readFile(this.spec.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return classifyRead(text, this.written);
  }
}

function guarded<T>(watch: LoopWatch | undefined, action: string, call: string, fn: () => T): T {
  const leave = watch?.enter(action, call);
  try {
    return fn();
  } finally {
    leave?.();
  }
}
