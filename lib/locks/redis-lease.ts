import { randomUUID } from 'node:crypto';
import { importPeer } from '../support/peer.js';
import { ContendError } from '../errors.js';
import { answeredWithin, checkServerLockOptions, SERVER_LOCK_DEFAULTS, ServerTimeoutError, type ServerLockOptions, fenceKey, serverLock, serverLockKey, type LeaseLockOptions } from './server-lock.js';
import type { LockAdapter } from './types.js';

const NEEDED_BY = 'the redis-lease lock';

/**
 * A connection of one lock instance or storage. Errors are kept, not printed (ioredis prints an
 * error no one listens for): a server that cannot be reached at first is one error naming it and
 * why; after that, a lost connection is retried, as a restarted server must be found again. A
 * lock's connection must be made within its timeoutMs (`within`); a storage's waits as long as
 * the server does.
 */
export async function redisClient(url: string, neededBy: string, within?: Pick<ServerLockOptions, 'timeoutMs'>): Promise<import('ioredis').Redis> {
  const { Redis } = await importPeer('ioredis', neededBy, () => import('ioredis'));
  // A disconnect half-closes the socket; a paused server never answers that, so ioredis destroys
  // it after disconnectTimeout (2 s by default, which would keep a finished run alive that long).
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, retryStrategy: (times) => Math.min(times * 50, 500), disconnectTimeout: 200 });
  let last: Error | undefined;
  client.on('error', (error: Error) => (last = error));
  try {
    await (within ? answeredWithin(client.connect(), `connecting for ${neededBy}`, { url, ...within }) : client.connect());
  } catch (error) {
    client.disconnect();
    if (error instanceof ServerTimeoutError) throw error;
    throw new ContendError('E_SERVER_UNREACHABLE', `cannot reach redis at ${url}: ${(last ?? (error as Error)).message}`);
  }
  return client;
}

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
    const token = randomUUID();
    return serverLock(ctx, options, {
      take: async () => (await client.set(key, token, 'PX', ttlMs, 'NX')) === 'OK',
      unlock: () => client.eval(RELEASE, 1, key, token),
      end: () => client.disconnect(),
      fence: async () => BigInt(await client.incr(fenceKey(ctx))),
    });
  },
};
