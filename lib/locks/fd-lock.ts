import { closeSync, futimesSync, openSync } from 'node:fs';
import { retryUntil, wakeOnChange } from './wait.js';
import type { Lock, LockContext } from './types.js';

/** The two calls a kernel lock on an open file needs: a non-blocking attempt and an unlock. */
export interface FdLockCalls {
  tryLock(fd: number): boolean | Promise<boolean>;
  unlock(fd: number): void | Promise<void>;
}

/**
 * A kernel lock held through one open fd of the lock file (flock through fs-native-extensions or
 * fs-ext, fcntl through os-lock). Waiting repeats the non-blocking attempt and never parks a thread
 * of libuv's pool (a blocking lock wait there stalls every other fs call of the process); a release
 * touches the lock file so that waiters watching it (inotify, on the event loop) try again at once.
 */
export function fdLock(ctx: LockContext, maxPollMs: number, calls: FdLockCalls): Lock {
  const fd = openSync(ctx.lockPath, 'a+');
  let held = false;
  let closed = false;
  const attempt = async (): Promise<boolean> => (held = await calls.tryLock(fd));
  const release = async (): Promise<void> => {
    if (!held) return;
    held = false;
    await calls.unlock(fd);
    const now = new Date();
    futimesSync(fd, now, now);
  };
  return {
    tryAcquire: attempt,
    acquire: () => retryUntil(attempt, { signal: ctx.signal, maxPollMs, wake: wakeOnChange(ctx.lockPath) }),
    release,
    async close() {
      if (closed) return;
      closed = true;
      await release();
      closeSync(fd);
    },
  };
}

/** The errors a non-blocking lock attempt fails with when another holds the lock. */
export const isBusy = (error: unknown): boolean => ['EAGAIN', 'EWOULDBLOCK', 'EACCES'].includes((error as NodeJS.ErrnoException).code ?? '');
