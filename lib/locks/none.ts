import type { LockAdapter } from './types.js';

/** No lock at all: the baseline every race is measured against. */
export const NoLockAdapter: LockAdapter = {
  name: 'none',
  description: 'no lock: every contender races',
  excludes: { async: false, thread: false, process: false },
  // No options: declared, so that one given (a misspelt option of another lock) is refused.
  defaults: {},
  create() {
    return {
      tryAcquire: () => true,
      acquire: async () => {},
      release: () => {},
    };
  },
};
