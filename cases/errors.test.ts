import { describe, expect, test } from 'vitest';
import { InvalidOptionError, runCase, runMatrix, type CaseOptions } from '../lib/index.js';
import { caseDirs } from './support/leftovers.js';

describe('bad options are refused before anything runs', () => {
  test.each<[Partial<CaseOptions>, string]>([
    [{ kind: 'async', lock: 'none', workers: 0 }, 'invalid workers: 0; allowed: an integer from 1 to 64'],
    [{ kind: 'async', lock: 'none', period: -2 }, 'invalid period: -2; allowed: a number of seconds above 0, at most 3600'],
    [{ kind: 'async', lock: 'nolock' }, 'invalid lock: "nolock"; allowed: none, spinlock, mutex, flock, lockfile, fs-ext, os-lock, npm-lockfile, pg-advisory, pg-advisory-xact, redis-lease, redlock, etcd-lease'],
    [{ kind: 'fiber' as never, lock: 'none' }, 'invalid worker kind: "fiber"; allowed: async, thread, process'],
    [{ kind: 'async', lock: 'none', granularity: 'forever' as never }, 'invalid granularity: "forever"; allowed: lifetime, operation'],
    [{ kind: 'async', lock: 'none', mode: 'fast' as never }, 'invalid mode: "fast"; allowed: step, period'],
    [{ kind: 'async', lock: 'none', actionTimeoutMs: 0 }, 'invalid actionTimeoutMs: 0; allowed: a number of ms above 0 to 2147483647'],
    [{ kind: 'async', lock: 'none', startTimeoutMs: -5 }, 'invalid startTimeoutMs: -5; allowed: a number of ms above 0 to 2147483647'],
  ])('%o', async (options, message) => {
    const before = caseDirs().length;
    const error = await runCase(options as CaseOptions).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).code).toBe('E_INVALID_OPTION');
    expect((error as Error).message).toBe(message);
    expect(caseDirs().length).toBe(before);
  });

  test('the matrix checks its lists the same way', async () => {
    await expect(runMatrix({ locks: ['flock', 'nope'] })).rejects.toThrow('invalid locks: "nope"; allowed: none, spinlock, mutex, flock, lockfile');
    await expect(runMatrix({ repeat: 0 })).rejects.toThrow('invalid repeat: 0; allowed: an integer from 1 to 100000');
  });
});
