import { lazyRequire } from '../support/lazy.js';
import { fdLock } from './fd-lock.js';
import type { LockAdapter } from './types.js';
import { checkPollOptions } from './wait.js';

const nativeLocks = lazyRequire<typeof import('fs-native-extensions')>('fs-native-extensions');

export interface FlockOptions {
  /** Longest pause between attempts while waiting, ms. */
  maxPollMs: number;
}

/**
 * A kernel lock on a lock file through fs-native-extensions. On Linux it is an open-file-description
 * lock, owned by the open file and not the process, so two opens in one process (two threads, two
 * async actors) exclude each other too; the kernel drops it when the holder dies.
 */
export const FlockAdapter: LockAdapter<FlockOptions> = {
  name: 'flock',
  description: 'kernel open-file-description lock (fs-native-extensions): excludes actors, threads, processes',
  package: 'fs-native-extensions',
  excludes: { async: true, thread: true, process: true },
  defaults: { maxPollMs: 8 },
  checkOptions: (options) => checkPollOptions('flock', options),
  create: (ctx, { maxPollMs }) => {
    const { tryLock, unlock } = nativeLocks();
    return fdLock(ctx, maxPollMs, { tryLock, unlock });
  },
};
