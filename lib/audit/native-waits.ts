import fs, { closeSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * Each lock library's own way to wait for a held lock, called as its README shows, on the same
 * lock file its contend adapter uses. Resolves with the release once the lock is held.
 */
export type NativeWait = (lockPath: string) => Promise<() => Promise<void>>;

const require = createRequire(import.meta.url);

function onFd(wait: (fd: number) => Promise<void>, unlock: (fd: number) => void | Promise<void>): NativeWait {
  return async (lockPath) => {
    const fd = openSync(lockPath, 'a+');
    try {
      await wait(fd);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    return async () => {
      await unlock(fd);
      closeSync(fd);
    };
  };
}

export const nativeWaits: Readonly<Record<string, { call: string; wait: NativeWait }>> = {
  flock: {
    call: "fs-native-extensions' waitForLock(fd)",
    wait: onFd(
      (fd) => (require('fs-native-extensions') as typeof import('fs-native-extensions')).waitForLock(fd),
      (fd) => (require('fs-native-extensions') as typeof import('fs-native-extensions')).unlock(fd),
    ),
  },
  'fs-ext': {
    call: "fs-ext's flock(fd, 'ex', callback)",
    wait: onFd(
      (fd) => new Promise((resolve, reject) => (require('fs-ext') as typeof import('fs-ext')).flock(fd, 'ex', (error) => (error ? reject(error) : resolve()))),
      (fd) => (require('fs-ext') as typeof import('fs-ext')).flockSync(fd, 'un'),
    ),
  },
  'os-lock': {
    call: "os-lock's lock(fd, { exclusive: true })",
    wait: onFd(
      (fd) => (require('os-lock') as typeof import('os-lock')).lock(fd, { exclusive: true }),
      (fd) => (require('os-lock') as typeof import('os-lock')).unlock(fd),
    ),
  },
  lockfile: {
    call: "proper-lockfile's lock(file, { retries })",
    async wait(lockPath) {
      const lockfile = require('proper-lockfile') as typeof import('proper-lockfile');
      const release = await lockfile.lock(lockPath, {
        realpath: false,
        lockfilePath: `${lockPath}.lock`,
        retries: { retries: 10_000, minTimeout: 5, maxTimeout: 20 },
        fs,
      });
      return release;
    },
  },
  'npm-lockfile': {
    call: "npm lockfile's lock(path, { wait })",
    async wait(lockPath) {
      const lockfile = require('lockfile') as typeof import('lockfile');
      const path = `${lockPath}.lck`;
      await new Promise<void>((resolve, reject) => lockfile.lock(path, { wait: 60_000, pollPeriod: 5 }, (error) => (error ? reject(error) : resolve())));
      return () => new Promise<void>((resolve) => lockfile.unlock(path, () => resolve()));
    },
  },
};
