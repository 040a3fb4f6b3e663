// A module of its own, off the type graph of contend's public entries: what it returns has the
// types of ioredis, an optional peer, which a user who never installed it must not need to compile.
import { importPeer } from '../support/peer.js';
import { ContendError } from '../errors.js';
import { answeredWithin, ServerTimeoutError, type ServerLockOptions } from './server-lock.js';

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
