import { join } from 'node:path';
import { withWorkspace } from '../workspace.js';
import { WorkerFaultError } from '../errors.js';
import { startActors, type ActorChannel } from '../kinds/index.js';
import type { WorkerKind } from '../locks/types.js';
import type { Command, Reply } from '../protocol.js';
import { resolveWriteStrategy } from '../writes/index.js';

export interface StressActors {
  channels: ActorChannel[];
  /** The shared file. */
  file: string;
  dir: string;
  /** One command to one worker; a worker that throws, dies or hangs ends the scenario as a fault. */
  request(worker: number, command: Command): Promise<Extract<Reply, { status: 'done' }>>;
}

/**
 * Runs a stress scenario's body with unlocked actors that wait on nothing and save with the given
 * strategy: unlike a case, nothing here is sequenced; the actors really write at once. Everything
 * is ended and removed afterwards, however the body ends.
 */
export async function withActors<T>(
  kind: WorkerKind,
  options: { workers: number; write: string; payloadItems: number },
  body: (actors: StressActors) => Promise<T>,
): Promise<T> {
  const { ref } = resolveWriteStrategy(options.write);
  return withWorkspace('contend-stress-', async ({ dir, signal, hold, letGo }) => {
    const file = join(dir, 'state.json');
    const channels = await startActors(
      kind,
      Array.from({ length: options.workers }, (_, i) => ({
        worker: i + 1,
        kind,
        file,
        lockPath: join(dir, 'shared.lock'),
        lock: { builtin: 'none' },
        lockOptions: {},
        write: ref,
        payloadItems: options.payloadItems,
        granularity: 'operation' as const,
        waiting: 'self' as const,
      })),
      signal,
      20_000,
    );
    hold(channels);
    const byWorker = new Map(channels.map((c) => [c.worker, c]));
    const request = async (worker: number, command: Command) => {
      const reply = await byWorker.get(worker)!.request(command);
      if (reply.status !== 'done') {
        const detail = reply.status === 'error' ? `${reply.error.name}: ${reply.error.message}` : `unexpected ${reply.status}`;
        throw new WorkerFaultError([{ worker, action: command.op, reason: 'threw', detail }]);
      }
      return reply;
    };
    const result = await body({ channels, file, dir, request });
    await Promise.all(channels.map((c) => request(c.worker, { op: 'exit' })));
    await Promise.all(letGo().map((c) => c.close()));
    return result;
  });
}
