import type { MessagePort } from 'node:worker_threads';
import { serveActor } from '../lib/host.js';
import type { ActorSpec, DriverMessage } from '../lib/protocol.js';

export interface ThreadTask {
  spec: ActorSpec;
  /** The case's shared memory: the same buffer in every thread, which is what lets them exclude. */
  shared: SharedArrayBuffer;
  port: MessagePort;
}

/** piscina task: hosts one actor for the length of a case, talking through the transferred port. */
export default async function hostActorInThread({ spec, shared, port }: ThreadTask): Promise<void> {
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
