import { closeSync, futimesSync, openSync } from 'node:fs';
import { tryLock, unlock } from 'fs-native-extensions';
import { retryUntil, wakeOnChange } from './wait.js';
import type { LockAdapter } from './types.js';

export interface FlockOptions {
  /** Longest pause between attempts while waiting, ms. */
  maxPollMs: number;
}

/**
 * A kernel lock on a lock file through fs-native-extensions. On Linux it is an open-file-description
 * lock, owned by the open file and not the process, so two opens in one process (two threads, two
 * async actors) exclude each other too; the kernel drops it when the holder dies.
 *
 * Waiting never blocks libuv's thread pool: it repeats the non-blocking attempt, and a release
 * touches the lock file so that waiters watching it (inotify, on the event loop) try again at once.
 */
export const FlockAdapter: LockAdapter<FlockOptions> = {
  name: 'flock',
  description: 'kernel open-file-description lock (fs-native-extensions): excludes actors, threads, processes',
  excludes: { async: true, thread: true, process: true },
  defaults: { maxPollMs: 8 },
  create(ctx, { maxPollMs }) {
    const fd = openSync(ctx.lockPath, 'a+');
    let held = false;
    let closed = false;
    const attempt = (): boolean => (held = tryLock(fd));
    const release = (): void => {
      if (!held) return;
      held = false;
      unlock(fd);
      const now = new Date();
      futimesSync(fd, now, now);
    };
    return {
      tryAcquire: attempt,
      acquire: () =>
        retryUntil(attempt, {
          signal: ctx.signal,
          maxPollMs,
          // The releaser touches the lock file (see release).
          wake: wakeOnChange(ctx.lockPath),
        }),
      release,
      close() {
        if (closed) return;
        closed = true;
        release();
        closeSync(fd);
      },
    };
  },
};
