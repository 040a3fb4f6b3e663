import type { LockAdapter } from './types.js';

/** No lock at all: the baseline every race is measured against. */
export const NoLockAdapter: LockAdapter = {
  name: 'none',
  description: 'no lock: every contender races',
  excludes: { async: false, thread: false, process: false },
  create() {
    return {
      tryAcquire: () => true,
      acquire: async () => {},
      release: () => {},
    };
  },
};
