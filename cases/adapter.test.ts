import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AdapterLoadError, lockNames, registerLock, runCase, runMatrix, unregisterLock } from '../lib/index.js';
import { docBlock } from './support/docs.js';
import { MATRIX, NO_RACE, ORDERS } from './support/table.js';

const FIXTURE = new URL('./fixtures/excl-lock.ts', import.meta.url);

describe('a lock written as a user would, against the public API only', () => {
  beforeAll(async () => {
    await registerLock({ module: FIXTURE.href, export: 'ExclusiveFileLockAdapter' });
  });
  afterAll(() => {
    unregisterLock('excl');
  });

  test('doc/adapters.md shows exactly this adapter', () => {
    expect(docBlock('doc/adapters.md', 'excl-lock.ts')).toBe(readFileSync(FIXTURE, 'utf8'));
  });

  test('it is listed beside the built-ins', () => {
    expect(lockNames()).toContain('excl');
  });

  describe.each(ORDERS)('%s', (order) => {
    test.each(['async', 'thread', 'process'] as const)('%s workers never race', async (kind) => {
      const result = await runCase({ kind, lock: 'excl', order });
      expect(result).toHaveOutcomes(NO_RACE);
      expect(result.trace.some((t) => t.status === 'blocked')).toBe(true);
    });
  });

  test('the matrix runs it with the built-ins and the rule agrees', async () => {
    const rows = await runMatrix({ locks: ['none', 'excl'], orders: ['force-write'] });
    expect(rows.map((r) => `${r.options.kind}/${r.options.lock}/${r.verdict}`)).toEqual([
      'async/none/pass',
      'async/excl/pass',
      'thread/none/pass',
      'thread/excl/pass',
      'process/none/pass',
      'process/excl/pass',
    ]);
    expect(MATRIX.length).toBe(15);
  });

  test('period mode too', async () => {
    const result = await runCase({ kind: 'process', lock: 'excl', mode: 'period', period: 0.05 });
    expect(result).toBeRaceFree();
  });
});

describe('registration checks the adapter', () => {
  test('a missing export is a clear error', async () => {
    await expect(registerLock({ module: FIXTURE.href, export: 'Nope' })).rejects.toThrow(AdapterLoadError);
    await expect(registerLock({ module: FIXTURE.href, export: 'Nope' })).rejects.toThrow(/no object exported under that name/);
  });
  test('a module that cannot be imported is a clear error', async () => {
    await expect(registerLock({ module: '/nowhere/lock.js', export: 'x' })).rejects.toThrow(/cannot import lock adapter module/);
  });
  test('a built-in name cannot be taken', async () => {
    const module = new URL('./fixtures/faulty-locks.ts', import.meta.url).href;
    await expect(registerLock({ module, export: 'ImpostorFlock' })).rejects.toThrow(/is built in/);
  });
});
