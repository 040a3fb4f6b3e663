import { FlockAdapter } from './flock.js';
import { FsExtAdapter } from './fs-ext.js';
import { NpmLockfileAdapter } from './npm-lockfile.js';
import { OsLockAdapter } from './os-lock.js';
import { LockfileAdapter } from './lockfile.js';
import { MutexAdapter } from './mutex.js';
import { NoLockAdapter } from './none.js';
import { SpinlockAdapter } from './spinlock.js';
import { PgAdvisoryAdapter } from './pg-advisory.js';
import { PgAdvisoryXactAdapter } from './pg-advisory-xact.js';
import { RedisLeaseAdapter } from './redis-lease.js';
import { RedlockAdapter } from './redlock.js';
import { EtcdLeaseAdapter } from './etcd-lease.js';
import type { AdapterRef, LockAdapter } from './types.js';

/** The built-in lock adapters, by name, in the order tables list them. */
export const builtinLocks: ReadonlyMap<string, LockAdapter> = new Map(
  [
    NoLockAdapter,
    SpinlockAdapter,
    MutexAdapter,
    FlockAdapter,
    LockfileAdapter,
    FsExtAdapter,
    OsLockAdapter,
    NpmLockfileAdapter,
    PgAdvisoryAdapter,
    PgAdvisoryXactAdapter,
    RedisLeaseAdapter,
    RedlockAdapter,
    EtcdLeaseAdapter,
  ].map((a) => [a.name, a as LockAdapter]),
);

/**
 * Adapters of npm's lock libraries, there for `contend audit` and for cases that name them; the
 * matrix runs them only when asked (fs-ext cannot run in worker_threads at all; the locks on a
 * server start one).
 */
export const ecosystemLocks: ReadonlySet<string> = new Set(
  [FsExtAdapter, OsLockAdapter, NpmLockfileAdapter, PgAdvisoryAdapter, PgAdvisoryXactAdapter, RedisLeaseAdapter, RedlockAdapter, EtcdLeaseAdapter].map((a) => a.name),
);

/**
 * Whether a worker with this lock and write strategy runs contend's own code on local files only:
 * each built in (or none given), and the lock on no server (whose url may be anyone's, over TLS).
 * Such a worker's process never makes a TLS connection (launch's `filesOnly`).
 */
export function ownFileCode({ lock, write }: { lock?: AdapterRef; write?: AdapterRef }): boolean {
  const adapter = lock && 'builtin' in lock ? builtinLocks.get(lock.builtin) : undefined;
  return (lock === undefined || (adapter !== undefined && adapter.server === undefined)) && (write === undefined || 'builtin' in write);
}

export { FlockAdapter, FsExtAdapter, LockfileAdapter, MutexAdapter, NoLockAdapter, NpmLockfileAdapter, OsLockAdapter, SpinlockAdapter };
export { PgAdvisoryAdapter, PgAdvisoryXactAdapter, RedisLeaseAdapter, RedlockAdapter, EtcdLeaseAdapter };
export { fdLock, type FdLockCalls } from './fd-lock.js';
export * from './types.js';
export { AtomicsMutex } from './atomics-mutex.js';
export { retryUntil, retryWithin, wakeOnChange, type WaitOptions } from './wait.js';
