import { Actor } from './actor.js';
import { toErrorInfo, type ActorSpec, type DriverMessage, type HostMessage } from './protocol.js';

export interface HostPort {
  post(message: HostMessage): void;
  onMessage(handler: (message: DriverMessage) => void): void;
}

/**
 * Runs one actor behind a message port (a worker_thread's MessagePort or a child's IPC channel)
 * until it has carried out `exit`, or the signal aborts. Resolves once the actor is done.
 */
export async function serveActor(spec: ActorSpec, shared: Int32Array, port: HostPort, signal: AbortSignal): Promise<void> {
  let actor: Actor;
  try {
    actor = await Actor.create(spec, { shared, local: new Map(), signal }, () => port.post({ type: 'loaded' }));
  } catch (error) {
    port.post({ type: 'start-failed', error: toErrorInfo(error) });
    return;
  }
  await new Promise<void>((resolve) => {
    const finish = (): void => {
      void actor.dispose().finally(resolve);
    };
    signal.addEventListener('abort', finish, { once: true });
    port.onMessage((message) => {
      const onBlocked = (): void => port.post({ type: 'blocked', id: message.id });
      void actor.handle(message.command, onBlocked).then((reply) => {
        port.post({ type: 'reply', id: message.id, reply });
        if (reply.status === 'done' && reply.op === 'exit') finish();
      });
    });
    port.post({ type: 'ready' });
  });
}
