import { MessageChannel } from 'node:worker_threads';
import { runPinned } from './pools.js';
import type { ActorSpec, HostMessage, ThreadTask } from '../protocol.js';
import { ChannelFault, CLOSE_GRACE_MS, PendingReplies, readiness, started, withinTime, type ActorChannel } from './channel.js';

export { closeThreadPool } from './pools.js';

export async function startThreadActor(spec: ActorSpec, shared: SharedArrayBuffer, startTimeoutMs: number): Promise<ActorChannel> {
  const { port1, port2 } = new MessageChannel();
  const pending = new PendingReplies();
  const start = readiness();
  // Replies travel on the port, the task's end on piscina's channel: the exit reply may still be in
  // flight when the task resolves, so the port's close (after its last message) is what counts.
  const portClosed = new Promise<void>((resolve) => port1.once('close', resolve));
  port1.on('message', (message: HostMessage) => {
    const other = pending.receive(message);
    if (other) start.settle(other);
  });
  const run = runPinned('thread-host', { spec, shared, port: port2 } satisfies ThreadTask, [port2]);
  const task = run.result
    .then(
      async () => {
        await portClosed;
        const fault = new ChannelFault('died', 'the thread ended its task before exit');
        pending.failAll(fault);
        start.fail(fault);
      },
      (error: Error) => {
        const fault = new ChannelFault('died', run.killed ? 'thread terminated' : `thread failed: ${error.message}`);
        pending.failAll(fault);
        start.fail(fault);
      },
    )
    .finally(() => port1.close());
  const kill = async (): Promise<void> => {
    await run.kill();
    await task;
  };
  try {
    await started(start, startTimeoutMs);
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
