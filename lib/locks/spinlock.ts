import { setTimeout as sleep } from 'node:timers/promises';
import { integerIn } from '../support/check.js';
import { ContendError } from '../errors.js';
import type { LockAdapter } from './types.js';

export interface SpinlockOptions {
  /** Pause between polls of the flag, ms (`wait = 0.1` in the AppCache lock tests). */
  pollMs: number;
  /** Give up after this long, ms (`timeout = 60` in the AppCache lock tests). */
  timeoutMs: number;
}

/**
 * The `_locked` flag of the AppCache lock tests: a boolean flag on the instance, polled until it clears. Every worker owns
 * its instance, so the flag is only ever seen by its owner and it keeps nobody else out.
 */
export const SpinlockAdapter: LockAdapter<SpinlockOptions> = {
  name: 'spinlock',
  description: 'a per-instance flag, polled (as in the AppCache lock tests): excludes nobody else',
  excludes: { async: false, thread: false, process: false },
  defaults: { pollMs: 100, timeoutMs: 60_000 },
  checkOptions(options) {
    integerIn('spinlock lock option pollMs', options.pollMs, 1, 60_000);
    integerIn('spinlock lock option timeoutMs', options.timeoutMs, 1, 2 ** 31 - 1);
  },
  create(ctx, { pollMs, timeoutMs }) {
    let locked = false;
    return {
      tryAcquire() {
        if (locked) return false;
        locked = true;
        return true;
      },
      async acquire() {
        let left = timeoutMs;
        while (locked) {
          if (left < 0) throw new ContendError('E_LOCK_TIMEOUT', `could not get lock in ${timeoutMs} ms`);
          await sleep(pollMs, undefined, { signal: ctx.signal });
          left -= pollMs;
        }
        locked = true;
      },
      release() {
        locked = false;
      },
    };
  },
};
