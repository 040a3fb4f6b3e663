import { Actor } from '../actor.js';
import type { ActorSpec } from '../protocol.js';
import { ChannelFault, withinTime, type ActorChannel } from './channel.js';

/**
 * Actors as async tasks in the driver's own thread: one Node server handling requests at once.
 * They share the thread's memory and its per-case `local` objects.
 */
export async function startAsyncActor(
  spec: ActorSpec,
  shared: SharedArrayBuffer,
  local: Map<string, unknown>,
  signal: AbortSignal,
  startTimeoutMs: number,
): Promise<ActorChannel> {
  let actor: Actor;
  try {
    // A create() that never settles cannot be stopped in this thread; the case's signal tells it to give up.
    actor = await withinTime(Actor.create(spec, { shared: new Int32Array(shared), local, signal }), startTimeoutMs, `not ready in ${startTimeoutMs} ms`);
  } catch (error) {
    if (error instanceof ChannelFault) throw error;
    throw new ChannelFault('threw', `${(error as Error).name}: ${(error as Error).message}`);
  }
  return {
    worker: spec.worker,
    request: (command, onBlocked) => actor.handle(command, onBlocked),
    close: () => actor.dispose(),
    kill: () => actor.dispose(),
  };
}
