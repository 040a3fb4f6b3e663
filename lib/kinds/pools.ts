import type { Transferable } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { MAX_WORKERS } from '../../schedules/generate.js';
import { hostEntry, type HostName } from '../paths.js';

const pools = new Map<HostName, Piscina>();

/** How long a terminated thread may take to be gone, ms: more means it is stuck in a native call. */
const TERMINATION_GRACE_MS = 5_000;

/**
 * One piscina pool per host entry for the whole run, so threads stay warm from case to case. Each
 * task is long (an actor, a workload client) and pinned to a thread of its own; the pool is sized
 * once for the largest fleet: threads are only made when needed, and replacing a pool would end
 * the threads of a run still on it.
 */
function sharedPool(host: HostName): Piscina {
  let pool = pools.get(host);
  if (!pool) {
    pool = new Piscina({
      filename: hostEntry(host),
      minThreads: 0,
      maxThreads: MAX_WORKERS,
      concurrentTasksPerWorker: 1,
      idleTimeout: 30_000,
      // Tasks here are long and talk over their own ports; no need for piscina's Atomics wake-ups.
      atomics: 'disabled',
    });
    pools.set(host, pool);
  }
  return pool;
}

/** What a pinned task gets besides its own fields: where it writes its thread's id first thing. */
export interface PinnedTask {
  threadCell: Int32Array;
}

/** The first thing a pinned task does: say which thread it runs on, so it can be awaited when ended. */
export function announceThread(task: PinnedTask, threadId: number): void {
  Atomics.store(task.threadCell, 0, threadId);
}

export interface PinnedRun {
  /** The task's end: resolves with its result, rejects when it throws or its thread ends. */
  result: Promise<unknown>;
  /** Ends the task's thread and resolves once the thread is gone, with whatever it held open. */
  kill(): Promise<void>;
  readonly killed: boolean;
}

/**
 * Runs a long task on a thread of the host's pool. piscina's abort rejects the task at once and
 * terminates its thread meanwhile; `kill` also waits for that thread's exit, since the files and
 * locks it opened are only closed then, and must not outlive the run that ended it.
 */
export function runPinned<T extends object>(host: HostName, task: T, transferList: Transferable[]): PinnedRun {
  const pool = sharedPool(host);
  const threadCell = new Int32Array(new SharedArrayBuffer(4));
  const abort = new AbortController();
  let settled = false;
  const result = pool.run({ ...task, threadCell } satisfies T & PinnedTask, { transferList, signal: abort.signal });
  void result.then(
    () => (settled = true),
    () => (settled = true),
  );
  // One kill, however many ask for it: a second caller must wait for the same exit, not return
  // at once because the task has already been rejected by the first.
  let killing: Promise<void> | undefined;
  const kill = async (): Promise<void> => {
    if (settled) return;
    const id = Atomics.load(threadCell, 0);
    const thread = id ? pool.threads.find((t) => t.threadId === id) : undefined;
    // Not events.once: it rejects on the thread's 'error', which nobody would be awaiting yet.
    const exited = thread ? new Promise<void>((resolve) => thread.once('exit', () => resolve())) : undefined;
    abort.abort();
    await result.catch(() => {});
    if (!exited) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, TERMINATION_GRACE_MS)))]);
    clearTimeout(timer);
  };
  return {
    result,
    get killed() {
      return abort.signal.aborted;
    },
    kill: () => (killing ??= kill()),
  };
}

/** Ends every thread pool; the CLI and the test suite call it when they are done. */
export async function closeThreadPool(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.destroy()));
}
