import { join } from 'node:path';
import { withWorkspace } from '../support/workspace.js';
import { WorkerFaultError } from '../errors.js';
import { startActors, type ActorChannel } from '../case/kinds/index.js';
import type { WorkerKind } from '../locks/types.js';
import type { Op } from '../../schedules/types.js';
import { CaseSession } from '../case/driver/session.js';
import type { Reply } from '../case/protocol.js';
import { resolveWriteStrategy } from '../writes/index.js';

export interface StressActors {
  channels: ActorChannel[];
  /** The shared file. */
  file: string;
  dir: string;
  /** One command to one worker; a worker that throws, dies or hangs ends the scenario as a fault. */
  request(worker: number, command: { op: Op }): Promise<Extract<Reply, { status: 'done' }>>;
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
  return withWorkspace<T, ActorChannel>('contend-stress-', async ({ dir, signal, hold, letGo }) => {
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
      { signal, startTimeoutMs: 20_000, actionTimeoutMs: 10_000 },
    );
    hold(channels);
    // The cases' session does the fault reports: a worker that throws, dies or hangs (10 s) is
    // named with its action, and a hung one is ended.
    const session = new CaseSession(channels, 10_000);
    const request = async (worker: number, command: { op: Op }) => {
      const reply = await session.request(worker, command, command.op, 0);
      if (reply.status !== 'done') {
        throw new WorkerFaultError([{ worker, action: command.op, reason: 'threw', detail: `unexpected '${reply.status}' from an unlocked actor` }]);
      }
      return reply;
    };
    const result = await body({ channels, file, dir, request });
    await Promise.all(channels.map((c) => request(c.worker, { op: 'exit' })));
    await Promise.all(letGo().map((c) => c.close()));
    return result;
  });
}
