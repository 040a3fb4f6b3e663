import { join } from 'node:path';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AdapterLoadError, lockNames, registerLock, runCase, runMatrix, unregisterLock } from '../lib/index.js';
import { builtinLocks } from '../lib/locks/index.js';
import { lockLoader } from '../lib/locks/load.js';
import type { AdapterLoader } from '../lib/modules/registry.js';
import { builtinWrites } from '../lib/writes/index.js';
import { strategyLoader } from '../lib/writes/load.js';
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

describe('an adapter module may be CommonJS', () => {
  test.each([
    ['commonjs-lock.cjs', 'CommonJsNoLock', 'commonjs-none'],
    ['commonjs-lock.cts', 'CtsNoLock', 'cts-none'],
    ['commonjs/no-lock.js', 'JsNoLock', 'commonjs-js-none'],
  ])('%s: every kind of worker loads it', async (file, name, lock) => {
    await registerLock({ module: new URL(`./fixtures/${file}`, import.meta.url).href, export: name });
    try {
      for (const kind of ['async', 'thread', 'process'] as const) expect(await runCase({ kind, lock })).toShowRace();
    } finally {
      unregisterLock(lock);
    }
  });
});

describe('registration checks the adapter', () => {
  test('a missing export is a clear error', async () => {
    await expect(registerLock({ module: FIXTURE.href, export: 'Nope' })).rejects.toThrow(AdapterLoadError);
    await expect(registerLock({ module: FIXTURE.href, export: 'Nope' })).rejects.toThrow(/^no export "Nope" in lock module file:\/\/\S+; it exports \w/);
  });
  test('a module that cannot be imported is a clear error', async () => {
    await expect(registerLock({ module: '/nowhere/lock.js', export: 'x' })).rejects.toThrow('cannot import lock adapter module /nowhere/lock.js: there is no file /nowhere/lock.js');
  });
  test("errors name the module as you gave it, not the file your TypeScript was compiled to", async () => {
    await expect(registerLock({ module: './cases/fixtures/liar-lock.ts', export: 'LiarLock' })).rejects.toThrow(
      'no export "LiarLock" in lock module ./cases/fixtures/liar-lock.ts; it exports LiarLockAdapter, NotALockAdapter',
    );
    await expect(registerLock({ module: './cases/fixtures/faulty-locks.ts', export: 'ImpostorFlock' })).rejects.toThrow(/^a lock adapter named "flock" is built in/);
    await expect(registerLock({ module: './cases/fixtures/no-such-lock.ts', export: 'X' })).rejects.toThrow(
      `cannot import lock adapter module ./cases/fixtures/no-such-lock.ts: there is no file ${join(process.cwd(), 'cases/fixtures/no-such-lock.ts')}`,
    );
  });
  test('a name registered from another module is refused; the same module again is the same adapter', async () => {
    await registerLock({ module: FIXTURE.href, export: 'ExclusiveFileLockAdapter' });
    const dir = mkdtempSync(join(tmpdir(), 'contend-other-'));
    try {
      const other = join(dir, 'other.mjs');
      writeFileSync(other, "export const Other = { name: 'excl', description: 'another', excludes: { async: false, thread: false, process: false }, create: () => ({ tryAcquire: () => true, acquire: async () => {}, release() {} }) };\n");
      await expect(registerLock({ module: other, export: 'Other' })).rejects.toThrow(`a lock adapter named "excl" is registered already, from ${FIXTURE.href}#ExclusiveFileLockAdapter; give yours another name`);
      // A path without ./ names a file that is there, as on the command line.
      expect((await registerLock({ module: 'cases/fixtures/excl-lock.ts', export: 'ExclusiveFileLockAdapter' })).name).toBe('excl');
    } finally {
      unregisterLock('excl');
      rmSync(dir, { recursive: true, force: true });
    }
  });
  test('a built-in name cannot be taken', async () => {
    const module = new URL('./fixtures/faulty-locks.ts', import.meta.url).href;
    await expect(registerLock({ module, export: 'ImpostorFlock' })).rejects.toThrow(/is built in/);
  });
});

describe('built-ins as a worker loads them: from their own file, one adapter each', () => {
  // A thread or process imports only the lock and the strategy its case uses; what it gets must be
  // the very adapter the registry lists, whatever file a new built-in is put in.
  test.each([...builtinLocks.keys()])('lock %s', async (name) => {
    expect(await lockLoader.load({ builtin: name })).toBe(builtinLocks.get(name));
  });
  test.each([...builtinWrites.keys()])('write strategy %s', async (name) => {
    expect(await strategyLoader.load({ builtin: name })).toBe(builtinWrites.get(name));
  });
  test('a name that is no built-in, or no name, is refused by name, not looked for elsewhere', async () => {
    for (const name of ['nope', 'index', 'wait', '../writes/atomic', 'Flock']) {
      await expect(lockLoader.load({ builtin: name })).rejects.toThrow(new AdapterLoadError(`no built-in lock adapter named ${JSON.stringify(name)}`));
    }
  });
  // The test runner loads the TypeScript sources through import(); threads and hosts run the build,
  // whose loaders require() the built-ins' JavaScript instead.
  test('from the build too, as threads and hosts load them', async () => {
    const built = (path: string): Promise<Record<string, AdapterLoader<{ name: string }>>> => import(/* @vite-ignore */ new URL(`../dist/lib/${path}`, import.meta.url).href);
    const [{ lockLoader: locks }, { strategyLoader: strategies }] = await Promise.all([built('locks/load.js'), built('writes/load.js')]);
    for (const name of builtinLocks.keys()) expect((await locks!.load({ builtin: name })).name).toBe(name);
    for (const name of builtinWrites.keys()) expect((await strategies!.load({ builtin: name })).name).toBe(name);
    for (const name of ['nope', 'index', 'wait', '../writes/atomic', 'Flock']) {
      await expect(locks!.load({ builtin: name })).rejects.toThrow(`no built-in lock adapter named ${JSON.stringify(name)}`);
    }
  });
});
