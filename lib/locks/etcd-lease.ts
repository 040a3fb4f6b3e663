import { importPeer } from '../support/peer.js';
import { checkServerLockOptions, SERVER_LOCK_DEFAULTS, serverLock, serverLockKey, type LeaseLockOptions } from './server-lock.js';
import type { LockAdapter } from './types.js';

const NEEDED_BY = 'the etcd-lease lock';

/**
 * The etcd3 client's lock: a key created only if absent (create revision 0), bound to a lease the
 * client keeps alive. A holder that stops (SIGSTOP, a long GC) stops renewing, and after the TTL
 * (whole seconds, at least one) the key is gone and another contender gets it.
 */
export const EtcdLeaseAdapter: LockAdapter<LeaseLockOptions> = {
  name: 'etcd-lease',
  description: "the etcd3 client's lease lock: renewed while its holder runs, gone ttlMs after it stops",
  package: 'etcd3',
  server: 'etcd',
  excludes: { async: true, thread: true, process: true },
  defaults: { ...SERVER_LOCK_DEFAULTS, ttlMs: 10_000 },
  checkOptions: (options) => checkServerLockOptions('etcd-lease', 'etcd', options, 1000),
  async create(ctx, options) {
    const { url, ttlMs } = options;
    const { Etcd3, EtcdLockFailedError } = await importPeer('etcd3', NEEDED_BY, () => import('etcd3'));
    const client = new Etcd3({ hosts: url });
    const key = serverLockKey(ctx);
    let held: ReturnType<typeof client.lock> | undefined;
    return serverLock(ctx, options, {
      async take() {
        const lock = client.lock(key).ttl(Math.ceil(ttlMs / 1000));
        try {
          await lock.acquire();
        } catch (error) {
          if (error instanceof EtcdLockFailedError) return false;
          throw error;
        }
        held = lock;
        return true;
      },
      unlock: () => held!.release(),
      end: () => client.close(),
      // The lock key's create revision: etcd's revisions only grow, and each hold creates the key anew.
      fence: async () => BigInt((await client.get(key).exec()).kvs[0]?.create_revision ?? 0),
    });
  },
};
