import { serveActor } from '../lib/case/host.js';
import { servePinned, type PinnedTask } from '../lib/hosts/pools.js';
import type { DriverMessage, ThreadTask } from '../lib/case/protocol.js';

/** piscina task: hosts one actor for the length of a case, talking through the transferred port. */
export default function hostActorInThread(task: ThreadTask & PinnedTask): Promise<void> {
  return servePinned(task, async ({ spec, shared, port }) => {
    const controller = new AbortController();
    port.on('close', () => controller.abort());
    await serveActor(
      spec,
      new Int32Array(shared),
      {
        post: (message) => port.postMessage(message),
        onMessage: (handler) => port.on('message', (message: DriverMessage) => handler(message)),
      },
      controller.signal,
    );
  });
}
