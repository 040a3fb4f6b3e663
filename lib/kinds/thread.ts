import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { ThreadTask } from '../../workers/thread-host.js';
import { MAX_WORKERS } from '../../schedules/generate.js';
import { hostEntry } from '../paths.js';
import type { ActorSpec, HostMessage } from '../protocol.js';
import { ChannelFault, CLOSE_GRACE_MS, PendingReplies, readiness, withinTime, type ActorChannel } from './channel.js';

let pool: Piscina<ThreadTask, void> | undefined;

// One pool for the whole run, so threads stay warm from case to case. Each actor is one
// long task pinned to its own thread (one task per thread), which keeps its lock and fd. Sized
// once for the largest case: threads are only made when needed, and replacing a pool would end
// the threads of a case still running on it.
function threadPool(): Piscina<ThreadTask, void> {
  if (!pool) {
    pool = new Piscina<ThreadTask, void>({
      filename: hostEntry('thread-host'),
      minThreads: 0,
      maxThreads: MAX_WORKERS,
      concurrentTasksPerWorker: 1,
      idleTimeout: 30_000,
      // Tasks here are long and talk over their own ports; no need for piscina's Atomics wake-ups.
      atomics: 'disabled',
    });
  }
  return pool;
}

/** Ends the thread pool; the CLI and the test suite call it when they are done. */
export async function closeThreadPool(): Promise<void> {
  const p = pool;
  pool = undefined;
  await p?.destroy();
}

export async function startThreadActor(spec: ActorSpec, shared: SharedArrayBuffer, startTimeoutMs: number): Promise<ActorChannel> {
  const { port1, port2 } = new MessageChannel();
  const pending = new PendingReplies();
  const start = readiness();
  const abort = new AbortController();
  let finished = false;
  // Replies travel on the port, the task's end on piscina's channel: the exit reply may still be in
  // flight when the task resolves, so the port's close (after its last message) is what counts.
  const portClosed = new Promise<void>((resolve) => port1.once('close', resolve));
  port1.on('message', (message: HostMessage) => {
    const other = pending.receive(message);
    if (other) start.settle(other);
  });
  const task = threadPool()
    .run({ spec, shared, port: port2 }, { transferList: [port2], signal: abort.signal })
    .then(
      async () => {
        finished = true;
        await portClosed;
        const fault = new ChannelFault('died', 'the thread ended its task before exit');
        pending.failAll(fault);
        start.fail(fault);
      },
      (error: Error) => {
        finished = true;
        const fault = new ChannelFault('died', abort.signal.aborted ? 'thread terminated' : `thread failed: ${error.message}`);
        pending.failAll(fault);
        start.fail(fault);
      },
    )
    .finally(() => port1.close());
  const kill = async (): Promise<void> => {
    if (!finished) abort.abort();
    await task;
  };
  try {
    await withinTime(start.ready, startTimeoutMs, `not ready in ${startTimeoutMs} ms`);
  } catch (error) {
    await kill();
    throw error;
  }
  return {
    worker: spec.worker,
    request: (command, onBlocked) => pending.request((id) => port1.postMessage({ type: 'command', id, command }), onBlocked),
    async close() {
      try {
        await withinTime(task, CLOSE_GRACE_MS, `the thread did not end within ${CLOSE_GRACE_MS} ms of its exit`);
      } catch (error) {
        await kill();
        throw error;
      }
    },
    kill,
  };
}
