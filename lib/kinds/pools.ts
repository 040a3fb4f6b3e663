import { Piscina } from 'piscina';
import { MAX_WORKERS } from '../../schedules/generate.js';
import { hostEntry, type HostName } from '../paths.js';

const pools = new Map<HostName, Piscina>();

/**
 * One piscina pool per host entry for the whole run, so threads stay warm from case to case. Each
 * task is long (an actor, a workload client) and pinned to a thread of its own; the pool is sized
 * once for the largest fleet: threads are only made when needed, and replacing a pool would end
 * the threads of a run still on it.
 */
export function sharedPool<T, R>(host: HostName): Piscina<T, R> {
  let pool = pools.get(host);
  if (!pool) {
    pool = new Piscina({
      filename: hostEntry(host),
      minThreads: 0,
      maxThreads: MAX_WORKERS,
      concurrentTasksPerWorker: 1,
      idleTimeout: 30_000,
      // Tasks here are long and talk over their own ports; no need for piscina's Atomics wake-ups.
      atomics: 'disabled',
    });
    pools.set(host, pool);
  }
  return pool as Piscina<T, R>;
}

/** Ends every thread pool; the CLI and the test suite call it when they are done. */
export async function closeThreadPool(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.destroy()));
}
