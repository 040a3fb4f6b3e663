import { lazyRequire } from '../support/lazy.js';
import { AtomicsMutex } from './atomics-mutex.js';
import type { LockAdapter } from './types.js';

const asyncMutex = lazyRequire<typeof import('async-mutex')>('async-mutex');

/**
 * In-process mutex, two levels deep: async-mutex orders the async actors of one thread, and a
 * SharedArrayBuffer + Atomics word excludes the threads of the process. A child process gets
 * memory of its own, so processes are not excluded — the trap this adapter exists to show.
 */
export const MutexAdapter: LockAdapter = {
  name: 'mutex',
  description: 'async-mutex within a thread + Atomics across worker_threads; not across processes',
  excludes: { async: true, thread: true, process: false },
  // No options: declared, so that one given (a misspelt option of another lock) is refused.
  defaults: {},
  create(ctx) {
    const local = ctx.local('mutex', () => new (asyncMutex().Mutex)());
    const cross = new AtomicsMutex(ctx.shared, 0);
    let releaseLocal: (() => void) | undefined;
    return {
      async tryAcquire() {
        if (releaseLocal || local.isLocked()) return false;
        // acquire() on a free async-mutex takes it synchronously; only the promise settles later.
        const pending = local.acquire();
        if (!cross.tryLock()) {
          (await pending)();
          return false;
        }
        releaseLocal = await pending;
        return true;
      },
      async acquire() {
        const releaser = await local.acquire();
        try {
          await cross.lock(ctx.signal);
        } catch (error) {
          releaser();
          throw error;
        }
        releaseLocal = releaser;
      },
      release() {
        if (!releaseLocal) return;
        const releaser = releaseLocal;
        releaseLocal = undefined;
        cross.unlock();
        releaser();
      },
    };
  },
};
