import { Actor } from '../actor.js';
import type { ActorSpec } from '../protocol.js';
import { ChannelFault, type ActorChannel } from './channel.js';

/**
 * Actors as async tasks in the driver's own thread: one Node server handling requests at once.
 * They share the thread's memory and its per-case `local` objects.
 */
export async function startAsyncActor(spec: ActorSpec, shared: SharedArrayBuffer, local: Map<string, unknown>, signal: AbortSignal): Promise<ActorChannel> {
  let actor: Actor;
  try {
    actor = await Actor.create(spec, { shared: new Int32Array(shared), local, signal });
  } catch (error) {
    throw new ChannelFault('threw', `${(error as Error).name}: ${(error as Error).message}`);
  }
  return {
    worker: spec.worker,
    request: (command, onBlocked) => actor.handle(command, onBlocked),
    close: () => actor.dispose(),
    kill: () => actor.dispose(),
  };
}
