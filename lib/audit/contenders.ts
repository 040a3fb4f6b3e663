import { createLock, loadAdapter, standaloneContext } from '../locks/registry.js';
import { retryWithin } from '../locks/wait.js';
import type { Lock } from '../locks/types.js';
import type { AuditedLibrary } from './libraries.js';

/** A contender of the audit's own process: one instance of the adapter, on the scenario's lock path. */
export async function contender(lib: AuditedLibrary, lockPath: string, signal: AbortSignal, worker = 1): Promise<Lock> {
  return createLock(await loadAdapter(lib.ref), standaloneContext({ worker, kind: 'async', lockPath, signal }), lib.lockOptions);
}

/**
 * A lock that gives a dead holder's lock to others once it is old enough (a stale time) or its
 * lease has run out (a TTL): how long that may take, ms.
 */
export function staleBound(lib: AuditedLibrary): number | undefined {
  const stale = Number(lib.lockOptions.staleMs ?? lib.lockOptions.ttlMs ?? 0);
  return stale > 0 ? stale + Number(lib.lockOptions.updateMs ?? 0) + 5_000 : undefined;
}

/** How such a lock came to another: `taken over as stale (staleMs 2000)`, `its lease ran out (ttlMs 2000)`. */
export const expiry = (lib: AuditedLibrary): string =>
  lib.lockOptions.staleMs !== undefined ? `taken over as stale (staleMs ${String(lib.lockOptions.staleMs)})` : `its lease ran out (ttlMs ${String(lib.lockOptions.ttlMs)})`;

/** What a bound is past: its stale time, or its lease. */
export const pastWhat = (lib: AuditedLibrary): string => (lib.lockOptions.staleMs !== undefined ? 'its stale time' : 'its lease');

/** Waits for the lock up to `bound` ms; the time it took, or undefined if it never came. */
export async function acquireWithin(lock: Lock, bound: number, signal: AbortSignal): Promise<number | undefined> {
  const started = performance.now();
  return (await retryWithin(() => lock.tryAcquire(), bound, { signal, maxPollMs: 10 })) ? Math.round(performance.now() - started) : undefined;
}

// A scenario may leave a lock in a state its library refuses to release (proper-lockfile's
// ERELEASED after a takeover): that is already in the finding, so clean-up goes on regardless.
export async function closeAll(...locks: (Lock | undefined)[]): Promise<void> {
  for (const lock of locks) {
    await Promise.resolve(lock?.release()).catch(() => {});
    await Promise.resolve(lock?.close?.()).catch(() => {});
  }
}
