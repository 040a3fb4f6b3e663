import { importPeer } from '../support/peer.js';
import { fdLock, isBusy } from './fd-lock.js';
import type { FlockOptions } from './flock.js';
import type { LockAdapter } from './types.js';
import { checkPollOptions } from './wait.js';

const NEEDED_BY = 'the os-lock lock';

/**
 * fcntl(2) record locks through os-lock, attempted with `immediate` so no pool thread waits. POSIX
 * record locks belong to the process: its threads and async actors all "hold" it at once, and
 * closing any fd of the file in the process drops it.
 */
export const OsLockAdapter: LockAdapter<FlockOptions> = {
  name: 'os-lock',
  description: 'fcntl(2) record lock through os-lock: per process only (threads and actors share it)',
  package: 'os-lock',
  excludes: { async: false, thread: false, process: true },
  defaults: { maxPollMs: 8 },
  checkOptions(options) {
    checkPollOptions('os-lock', options);
  },
  async create(ctx, { maxPollMs }) {
    const { lock, unlock } = await importPeer('os-lock', NEEDED_BY, () => import('os-lock'));
    return fdLock(ctx, maxPollMs, {
      async tryLock(fd) {
        try {
          await lock(fd, { exclusive: true, immediate: true });
          return true;
        } catch (error) {
          if (isBusy(error)) return false;
          throw error;
        }
      },
      unlock: (fd) => unlock(fd),
    });
  },
};
