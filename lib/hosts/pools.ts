import { MessageChannel, threadId, type MessagePort } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { MAX_WORKERS } from '../../schedules/generate.js';
import { sendConsoleTo } from '../support/console.js';
import { lazyRequire } from '../support/lazy.js';
import { hostEntry } from './entry.js';
import type { FromHost, TaskOf, ThreadHostName, ToHost } from './messages.js';

const pools = new Map<ThreadHostName, Piscina>();

// Loaded with the first pool: a run of async or process workers, and every thread host, never needs it.
const piscina = lazyRequire<typeof import('piscina')>('piscina');

/** How long a terminated thread may take to be gone, ms: more means it is stuck in a native call. */
const TERMINATION_GRACE_MS = 5_000;

/**
 * One piscina pool per host entry for the whole run, so threads stay warm from case to case. Each
 * task is long (an actor, a workload client) and pinned to a thread of its own; the pool is sized
 * once for the largest fleet: threads are only made when needed, and replacing a pool would end
 * the threads of a run still on it.
 */
function sharedPool(host: ThreadHostName): Piscina {
  let pool = pools.get(host);
  if (!pool) {
    pool = new (piscina().Piscina)({
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

/**
 * What a pinned task gets besides its own fields: the port to the driver, and where it writes its
 * thread's id first thing.
 */
export interface PinnedTask {
  port: MessagePort;
  threadCell: Int32Array;
}

/**
 * A pinned task's side of `runPinned`, in its thread: says first which thread it runs on (so the
 * driver can await that thread's end when it ends the task), then runs `serve`, and closes the
 * port after it, which tells the driver that every message of the task is in.
 */
export async function servePinned<T extends PinnedTask>(task: T, serve: (task: T) => Promise<void>): Promise<void> {
  Atomics.store(task.threadCell, 0, threadId);
  // A thread's stdout is the driver's: what the task's code prints must not land in a report there.
  sendConsoleTo(process.stderr);
  try {
    await serve(task);
  } finally {
    task.port.close();
  }
}

export interface PinnedRun<In> {
  /** Sends a message to the task, on its port. */
  post(message: In): void;
  /**
   * The task's end, once its port has closed too (its last messages are in): nothing when it
   * returned, or why it did not (`thread terminated` by `kill`, `thread failed: …`).
   */
  ended: Promise<string | undefined>;
  /** Ends the task's thread and resolves once the thread is gone, with whatever it held open. */
  kill(): Promise<void>;
}

/**
 * Runs a long task on a thread of the host's pool, talking over a port of its own (both typed by
 * the host's name, lib/hosts/messages.ts). piscina's abort
 * rejects the task at once and terminates its thread meanwhile; `kill` also waits for that
 * thread's exit, since the files and locks it opened are only closed then, and must not outlive
 * the run that ended it.
 */
export function runPinned<H extends ThreadHostName>(host: H, task: Omit<TaskOf<H>, 'port'>, onMessage: (message: FromHost<H>) => void): PinnedRun<ToHost<H>> {
  const pool = sharedPool(host);
  const { port1, port2 } = new MessageChannel();
  // Messages travel on the port, the task's end on piscina's channel: the last message may still
  // be in flight when the task resolves, so the port's close (after it) is what counts.
  const portClosed = new Promise<void>((resolve) => port1.once('close', resolve));
  port1.on('message', onMessage);
  const threadCell = new Int32Array(new SharedArrayBuffer(4));
  const abort = new AbortController();
  let settled = false;
  const result = pool.run({ ...task, port: port2, threadCell } satisfies PinnedTask, { transferList: [port2], signal: abort.signal });
  const ended = result
    .then(
      async () => {
        await portClosed;
        return undefined;
      },
      (error: Error) => (abort.signal.aborted ? 'thread terminated' : `thread failed: ${error.message}`),
    )
    .finally(() => port1.close());
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
    post: (message) => port1.postMessage(message),
    ended,
    kill: () => (killing ??= kill()),
  };
}

/** Ends every thread pool; the CLI and the test suite call it when they are done. */
export async function closeThreadPool(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.destroy()));
}
