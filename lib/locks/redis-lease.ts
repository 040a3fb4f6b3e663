import { redisClient } from './redis-client.js';
import { checkServerLockOptions, SERVER_LOCK_DEFAULTS, fenceKey, serverLock, serverLockKey, type LeaseLockOptions } from './server-lock.js';
import type { LockAdapter } from './types.js';

const NEEDED_BY = 'the redis-lease lock';

// Deletes the key only if it still holds this holder's token: a holder whose lease expired, and
// whose key another holder now has, must not delete the other's.
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/**
 * A lease on Redis: `SET key token NX PX ttl`, released by a script that checks the token. Each
 * instance has its own connection and token. The lease ends by itself after ttlMs, whether its
 * holder is done or only paused: that is what it is for, and what breaks it.
 */
export const RedisLeaseAdapter: LockAdapter<LeaseLockOptions> = {
  name: 'redis-lease',
  description: 'Redis SET NX PX with a token-checked release: a lease that expires after ttlMs, held or not',
  package: 'ioredis',
  server: 'redis',
  excludes: { async: true, thread: true, process: true },
  defaults: { ...SERVER_LOCK_DEFAULTS, ttlMs: 10_000 },
  checkOptions: (options) => checkServerLockOptions('redis-lease', 'redis', options),
  async create(ctx, options) {
    const { url, ttlMs } = options;
    const client = await redisClient(url, NEEDED_BY, options);
    const key = serverLockKey(ctx);
    const token = crypto.randomUUID();
    return serverLock(ctx, options, {
      take: async () => (await client.set(key, token, 'PX', ttlMs, 'NX')) === 'OK',
      unlock: () => client.eval(RELEASE, 1, key, token),
      end: () => client.disconnect(),
      fence: async () => BigInt(await client.incr(fenceKey(ctx))),
    });
  },
};
