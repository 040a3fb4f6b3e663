import { MessageChannel } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import type { ThreadTask } from '../../workers/thread-host.js';
import { sharedPool } from './pools.js';
import type { ActorSpec, HostMessage } from '../protocol.js';
import { ChannelFault, CLOSE_GRACE_MS, PendingReplies, readiness, withinTime, type ActorChannel } from './channel.js';

export { closeThreadPool } from './pools.js';

const threadPool = (): Piscina<ThreadTask, void> => sharedPool<ThreadTask, void>('thread-host');

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
