import { dirname } from 'node:path';
import { integerIn } from '../support/check.js';
import { importPeer } from '../support/peer.js';
import { checkPollOptions, retryUntil, wakeOnChange } from './wait.js';
import type { LockAdapter } from './types.js';

export interface NpmLockfileOptions {
  /** A lock file older than this (by ctime) is taken over, ms; 0: never, the library's default. */
  staleMs: number;
  maxPollMs: number;
}

const NEEDED_BY = 'the npm-lockfile lock';

/**
 * npm's `lockfile`: an O_EXCL create of `<lockPath>.lck`, removed by unlock (and by its exit
 * handler, which SIGKILL skips). With `stale` it takes over a lock file old enough, whoever holds it.
 */
export const NpmLockfileAdapter: LockAdapter<NpmLockfileOptions> = {
  name: 'npm-lockfile',
  description: "npm's lockfile (O_EXCL lock file, optional ctime staleness): excludes actors, threads, processes",
  package: 'lockfile',
  excludes: { async: true, thread: true, process: true },
  defaults: { staleMs: 0, maxPollMs: 8 },
  checkOptions(options) {
    integerIn('npm-lockfile lock option staleMs (0: never stale)', options.staleMs, 0, 2 ** 31 - 1);
    checkPollOptions('npm-lockfile', options);
  },
  async create(ctx, { staleMs, maxPollMs }) {
    const { default: lockfile } = await importPeer('lockfile', NEEDED_BY, () => import('lockfile'));
    const path = `${ctx.lockPath}.lck`;
    let held = false;
    const attempt = (): Promise<boolean> =>
      new Promise((resolve, reject) =>
        // lockfile changes the options object it is given: a fresh one per attempt.
        lockfile.lock(path, staleMs > 0 ? { stale: staleMs } : {}, (error) => {
          if (!error) resolve((held = true));
          else if ((error as NodeJS.ErrnoException).code === 'EEXIST') resolve(false);
          else reject(error);
        }),
      );
    const release = (): Promise<void> => {
      if (!held) return Promise.resolve();
      held = false;
      return new Promise((resolve) => lockfile.unlock(path, () => resolve()));
    };
    return {
      tryAcquire: attempt,
      acquire: () => retryUntil(attempt, { signal: ctx.signal, maxPollMs, wake: wakeOnChange(dirname(path)) }),
      release,
      close: release,
    };
  },
};
