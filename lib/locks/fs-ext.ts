import { isMainThread } from 'node:worker_threads';
import { ContendError } from '../errors.js';
import { lazyRequire } from '../support/lazy.js';
import { importPeer } from '../support/peer.js';
import { fdLock, isBusy } from './fd-lock.js';
import type { FlockOptions } from './flock.js';
import type { LockAdapter } from './types.js';
import { checkPollOptions } from './wait.js';

interface FsExt {
  flockSync(fd: number, flags: 'exnb' | 'un'): void;
}

const NEEDED_BY = 'the fs-ext lock';
const fsExtLibrary = lazyRequire<FsExt>('fs-ext');

/**
 * flock(2) through fs-ext, with its synchronous call in non-blocking mode only: the callback form
 * blocks a thread of libuv's pool while it waits. fs-ext is not safe in worker_threads (its callback
 * comes back on the main thread's loop and kills the process, and loading it in a second thread
 * after one exited kills it too), so it
 * is loaded only when a lock is made, and only in a main thread.
 */
export const FsExtAdapter: LockAdapter<FlockOptions> = {
  name: 'fs-ext',
  description: 'flock(2) through fs-ext (flockSync "exnb" only; main threads only): excludes actors, processes',
  package: 'fs-ext',
  // flock would keep threads apart, but fs-ext cannot run in one (see above).
  excludes: { async: true, thread: false, process: true },
  defaults: { maxPollMs: 8 },
  checkOptions(options) {
    checkPollOptions('fs-ext', options);
  },
  async create(ctx, { maxPollMs }) {
    if (!isMainThread) {
      throw new ContendError('E_UNSAFE_IN_THREAD', 'fs-ext crashes the process inside worker_threads (its callback form kills it with SIGABRT or SIGSEGV, and so does a second load); use it in async or process workers, or use flock');
    }
    const fsExt = await importPeer('fs-ext', NEEDED_BY, fsExtLibrary);
    return fdLock(ctx, maxPollMs, {
      tryLock(fd) {
        try {
          fsExt.flockSync(fd, 'exnb');
          return true;
        } catch (error) {
          if (isBusy(error)) return false;
          throw error;
        }
      },
      unlock: (fd) => fsExt.flockSync(fd, 'un'),
    });
  },
};
