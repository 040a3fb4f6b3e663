import { AdapterLoadError, InvalidOptionError, WorkerFaultError, type WorkerFault } from '../../errors.js';
import { WORKER_KINDS, type WorkerKind } from '../../locks/types.js';
import { hostEntry } from '../../hosts/entry.js';
import type { ActorSpec } from '../protocol.js';
import { ChannelFault, type ActorChannel } from './channel.js';
import { stopSharedServers } from '../../servers/shared.js';
import { closeThreadPool } from '../../hosts/pools.js';
import { once } from '../../support/memo.js';

export { ChannelFault, type ActorChannel } from './channel.js';

// Each kind loads when a case first needs it: importing contend loads none of them (a dozen
// modules, with child_process and the inspector), and async cases alone load no host launcher.
// An import that failed is forgotten, so that the next case tries again.
const asyncKind = once(() => import('./async.js'));
const threadKind = once(() => import('./thread.js'));
const processKind = once(() => import('./process.js'));

/** Starts process hosts ahead of the cases that will need them (runMatrix does, in step mode). */
export async function prewarmProcesses(count: number, filesOnly: boolean): Promise<void> {
  (await processKind.get()).prewarmProcesses(count, filesOnly);
}

/**
 * Ends the idle worker threads and process hosts that contend keeps warm between cases, and the
 * servers it started for locks on a server. Idle ones never keep a process alive; call it when
 * you are done (contend/vitest does it after each file).
 */
export async function closePools(): Promise<void> {
  // The thread pools serve explore, the workload and powerloss too; the process kind's hosts exist
  // only once that kind was loaded.
  await Promise.all([closeThreadPool(), processKind.made()?.then((k) => k.closeProcessPool(), () => undefined), stopSharedServers()]);
}

export function validateKind(kind: unknown): WorkerKind {
  if (!WORKER_KINDS.includes(kind as WorkerKind)) throw new InvalidOptionError('worker kind', WORKER_KINDS.join(', '), kind);
  return kind as WorkerKind;
}

/**
 * Starts one actor per spec under the given kind and waits until all are ready. If any fails to
 * start, the others are ended and every failure is reported by worker number.
 */
export interface StartOptions {
  /** Aborted at teardown: async actors stop waiting on their locks. */
  signal: AbortSignal;
  /** A worker not ready this long after it was started is reported hung, ms. */
  startTimeoutMs: number;
  /** A worker that does not answer a command for this long is reported hung, ms. */
  actionTimeoutMs: number;
}

export async function startActors(kind: WorkerKind, specs: ActorSpec[], { signal, startTimeoutMs, actionTimeoutMs }: StartOptions): Promise<ActorChannel[]> {
  // A missing build is a set-up error of its own, not a fault of each worker.
  if (kind !== 'async') hostEntry(kind === 'thread' ? 'thread-host' : 'process-host');
  // The case's memory for in-memory locks: seen by every async actor and every thread alike.
  const shared = new SharedArrayBuffer(64);
  const local = new Map<string, unknown>();
  const start = await (kind === 'async'
    ? asyncKind.get().then(({ startAsyncActor }) => (spec: ActorSpec) => startAsyncActor(spec, { shared, local, signal, startTimeoutMs, blockedLimitMs: actionTimeoutMs }))
    : kind === 'thread'
      ? threadKind.get().then(({ startThreadActor }) => (spec: ActorSpec) => startThreadActor(spec, shared, startTimeoutMs))
      : processKind.get().then(({ startProcessActor }) => (spec: ActorSpec) => startProcessActor(spec, startTimeoutMs)));
  const started = await Promise.allSettled(specs.map((spec) => start(spec)));
  const faults: WorkerFault[] = [];
  const channels: ActorChannel[] = [];
  started.forEach((result, i) => {
    if (result.status === 'fulfilled') channels.push(result.value);
    else {
      const error = result.reason as Error;
      faults.push({
        worker: specs[i]!.worker,
        action: 'start',
        reason: error instanceof ChannelFault ? error.reason : 'threw',
        detail: error.message,
      });
    }
  });
  if (faults.length) {
    await Promise.allSettled(channels.map((c) => c.kill()));
    // An adapter that cannot be loaded or made a lock fails the same way in every worker: that is
    // bad input, said once, not a fault of each worker.
    const load = started.find((r): r is PromiseRejectedResult => r.status === 'rejected' && (r.reason as ChannelFault).code === 'E_ADAPTER_LOAD');
    if (load) throw new AdapterLoadError((load.reason as Error).message.replace(/^AdapterLoadError: /, ''));
    throw new WorkerFaultError(faults);
  }
  return channels;
}
