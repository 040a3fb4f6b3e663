import { runPinned } from '../../hosts/pools.js';
import type { ActorSpec } from '../protocol.js';
import { ChannelFault, CLOSE_GRACE_MS, PendingReplies, readiness, started, withinTime, type ActorChannel } from './channel.js';

export async function startThreadActor(spec: ActorSpec, shared: SharedArrayBuffer, startTimeoutMs: number): Promise<ActorChannel> {
  const pending = new PendingReplies();
  const start = readiness();
  const run = runPinned('thread-host', { spec, shared }, (message) => {
    const other = pending.receive(message);
    if (other) start.settle(other);
  });
  const task = run.ended.then((why) => {
    const fault = new ChannelFault('died', why ?? 'the thread ended its task before exit');
    pending.failAll(fault);
    start.fail(fault);
  });
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
    request: (command, onBlocked) => pending.request((id) => run.post({ type: 'command', id, command }), onBlocked),
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
