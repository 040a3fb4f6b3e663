import { FlockAdapter } from './flock.js';
import { LockfileAdapter } from './lockfile.js';
import { MutexAdapter } from './mutex.js';
import { NoLockAdapter } from './none.js';
import { SpinlockAdapter } from './spinlock.js';
import type { LockAdapter } from './types.js';

/** The built-in lock adapters, by name, in the order tables list them. */
export const builtinLocks: ReadonlyMap<string, LockAdapter> = new Map(
  [NoLockAdapter, SpinlockAdapter, MutexAdapter, FlockAdapter, LockfileAdapter].map((a) => [a.name, a as LockAdapter]),
);

export { FlockAdapter, LockfileAdapter, MutexAdapter, NoLockAdapter, SpinlockAdapter };
export * from './types.js';
export { AtomicsMutex } from './atomics-mutex.js';
export { retryUntil, wakeOnChange, type WaitOptions } from './wait.js';
