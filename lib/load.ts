import { Worker } from 'node:worker_threads';

/**
 * Keeps `threads` cores busy while `fn` runs, to show that step-mode outcomes do not depend on
 * machine speed. The busy threads are terminated however `fn` ends.
 */
export async function withCpuLoad<T>(threads: number, fn: () => Promise<T>): Promise<T> {
  const busy = Array.from({ length: threads }, () => new Worker('for (;;) {}', { eval: true }));
  try {
    return await fn();
  } finally {
    await Promise.all(busy.map((w) => w.terminate()));
  }
}
