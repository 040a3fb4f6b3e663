import { importPeer } from '../support/peer.js';
import { redisClient } from './redis-client.js';
import { checkServerLockOptions, SERVER_LOCK_DEFAULTS, fenceKey, serverLock, serverLockKey, type LeaseLockOptions } from './server-lock.js';
import type { LockAdapter } from './types.js';

const NEEDED_BY = 'the redlock lock';

/**
 * Redlock (@sesamecare-oss/redlock, the maintained fork of node-redlock) on one Redis server: the
 * library's own acquire with no retries of its own (contend's wait repeats it), its own release.
 */
export const RedlockAdapter: LockAdapter<LeaseLockOptions> = {
  name: 'redlock',
  description: 'Redlock (@sesamecare-oss/redlock) on one Redis: a lease that expires after ttlMs, held or not',
  package: '@sesamecare-oss/redlock',
  server: 'redis',
  excludes: { async: true, thread: true, process: true },
  defaults: { ...SERVER_LOCK_DEFAULTS, ttlMs: 10_000 },
  checkOptions: (options) => checkServerLockOptions('redlock', 'redis', options),
  async create(ctx, options) {
    const { url, ttlMs } = options;
    const { Redlock, ExecutionError } = await importPeer('@sesamecare-oss/redlock', NEEDED_BY, () => import('@sesamecare-oss/redlock'));
    const client = await redisClient(url, NEEDED_BY, options);
    const redlock = new Redlock([client], { retryCount: 0 });
    const key = serverLockKey(ctx);
    let held: Awaited<ReturnType<typeof redlock.acquire>> | undefined;
    return serverLock(ctx, options, {
      async take() {
        try {
          held = await redlock.acquire([key], ttlMs);
          return true;
        } catch (error) {
          // The key is someone else's: not this attempt's failure.
          if (error instanceof ExecutionError) return false;
          throw error;
        }
      },
      unlock: () =>
        held!.release().catch((error: unknown) => {
          // A lease that ran out is released already: its key is gone or someone else's.
          if (!(error instanceof ExecutionError)) throw error;
        }),
      end: () => client.disconnect(),
      fence: async () => BigInt(await client.incr(fenceKey(ctx))),
    });
  },
};
