import { threadId } from 'node:worker_threads';
import { serveActor } from '../lib/host.js';
import { announceThread, type PinnedTask } from '../lib/kinds/pools.js';
import type { DriverMessage, ThreadTask } from '../lib/protocol.js';

/** piscina task: hosts one actor for the length of a case, talking through the transferred port. */
export default async function hostActorInThread(task: ThreadTask & PinnedTask): Promise<void> {
  announceThread(task, threadId);
  const { spec, shared, port } = task;
  const controller = new AbortController();
  port.on('close', () => controller.abort());
  try {
    await serveActor(
      spec,
      new Int32Array(shared),
      {
        post: (message) => port.postMessage(message),
        onMessage: (handler) => port.on('message', (message: DriverMessage) => handler(message)),
      },
      controller.signal,
    );
  } finally {
    port.close();
  }
}
