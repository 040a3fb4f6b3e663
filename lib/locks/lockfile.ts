import fs from 'node:fs';
import { dirname } from 'node:path';
import { lazyRequire } from '../support/lazy.js';
import { integerIn } from '../support/check.js';
import { checkPollOptions, retryUntil, wakeOnChange } from './wait.js';
import type { LockAdapter } from './types.js';

const properLockfile = lazyRequire<typeof import('proper-lockfile')>('proper-lockfile');

export interface LockfileOptions {
  /** A lock whose directory was not refreshed for this long is taken over, ms. */
  staleMs: number;
  /** How often the holder refreshes its lock's mtime, ms. */
  updateMs: number;
  maxPollMs: number;
}

/**
 * proper-lockfile: an atomic mkdir of `<lockPath>.lock`, kept fresh by mtime updates, and
 * reclaimed when stale. Works between any contenders that share the file system.
 */
export const LockfileAdapter: LockAdapter<LockfileOptions> = {
  name: 'lockfile',
  description: 'proper-lockfile (mkdir + mtime refresh, stale recovery): excludes actors, threads, processes',
  package: 'proper-lockfile',
  excludes: { async: true, thread: true, process: true },
  // updateMs at proper-lockfile's floor: valid beside every stale time it allows, so a case may
  // give staleMs alone.
  defaults: { staleMs: 10_000, updateMs: 1_000, maxPollMs: 8 },
  // proper-lockfile raises a stale time under 2 s, and moves an update outside 1 s … stale/2,
  // without a word: a lock that is not what the case says. Those values are refused instead.
  checkOptions(options) {
    integerIn('lockfile lock option staleMs', options.staleMs, 2_000, 2 ** 31 - 1);
    const half = Math.floor(options.staleMs / 2);
    integerIn('lockfile lock option updateMs', options.updateMs, 1_000, half, `an integer from 1000 to half of staleMs (${half})`);
    checkPollOptions('lockfile', options);
  },
  create(ctx, { staleMs, updateMs, maxPollMs }) {
    let unlock: (() => Promise<void>) | undefined;
    let compromised: Error | undefined;
    let onLost!: (error: Error) => void;
    const lost = new Promise<Error>((resolve) => (onLost = resolve));
    const options = {
      // The fs module itself rather than graceful-fs's copy of it, so contend's step trace sees
      // (and pause points can hold) every call the lock makes.
      fs,
      realpath: false,
      lockfilePath: `${ctx.lockPath}.lock`,
      stale: staleMs,
      update: updateMs,
      retries: 0,
      // The default throws from a timer, which would take the whole worker down unreported.
      onCompromised: (error: Error) => {
        compromised = error;
        onLost(error);
      },
    };
    const attempt = async (): Promise<boolean> => {
      if (compromised) throw compromised;
      try {
        unlock = await properLockfile().lock(ctx.lockPath, options);
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ELOCKED') return false;
        throw error;
      }
    };
    const release = async (): Promise<void> => {
      const held = unlock;
      unlock = undefined;
      await held?.();
    };
    return {
      tryAcquire: attempt,
      acquire: () =>
        retryUntil(attempt, {
          signal: ctx.signal,
          maxPollMs,
          // The holder's unlock removes the lock directory: an event in the parent directory.
          wake: wakeOnChange(dirname(ctx.lockPath)),
        }),
      release,
      close: release,
      lost,
    };
  },
};
