import { availableParallelism } from 'node:os';
import { integerIn, numberIn } from './check.js';
import { commonJsThread } from './eval-thread.js';

// Busy for `duty` of every 20 ms, asleep (Atomics.wait, no event loop needed) for the rest.
const BUSY = `
const duty = require('node:worker_threads').workerData;
const period = 20;
const nap = new Int32Array(new SharedArrayBuffer(4));
for (;;) {
  const end = Date.now() + period * duty;
  while (Date.now() < end) {}
  if (duty < 1) Atomics.wait(nap, 0, 0, period * (1 - duty));
}`;

/**
 * Keeps `threads` threads busy while `fn` runs, each for `duty` (0–1] of the time: the matrix uses
 * it to show that step-mode outcomes do not depend on machine speed, the workload's chaos for CPU
 * overload. The busy threads are terminated however `fn` ends.
 */
export async function withCpuLoad<T>(threads: number, fn: () => Promise<T>, duty = 1): Promise<T> {
  checkCpuLoad(threads);
  numberIn('cpu load duty', duty, 0, 1, { open: true });
  const busy = Array.from({ length: threads }, () => commonJsThread(BUSY, { workerData: duty }));
  try {
    return await fn();
  } finally {
    await Promise.all(busy.map((w) => w.terminate()));
  }
}

/**
 * Busy threads beyond four per core add nothing but scheduler noise; more is a typo, and each
 * thread costs memory.
 */
export function checkCpuLoad(threads: unknown, name = 'cpu-load'): number {
  return integerIn(`${name} (busy threads, at most 4 per core)`, threads, 0, 4 * availableParallelism());
}
