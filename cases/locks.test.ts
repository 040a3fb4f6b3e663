import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { type Lock, type LockContext, type WorkerKind } from '../lib/index.js';
import { builtinLocks } from '../lib/locks/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'contend-locks-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function context(worker: number, shared = new Int32Array(new SharedArrayBuffer(64)), local = new Map<string, unknown>()): LockContext {
  return {
    worker,
    kind: 'async' as WorkerKind,
    lockPath: join(dir, 'shared.lock'),
    shared,
    signal: new AbortController().signal,
    local: <T>(key: string, make: () => T): T => {
      if (!local.has(key)) local.set(key, make());
      return local.get(key) as T;
    },
  };
}

async function make(name: string, n: number): Promise<Lock[]> {
  const adapter = builtinLocks.get(name)!;
  const shared = new Int32Array(new SharedArrayBuffer(64));
  const local = new Map<string, unknown>();
  return Promise.all(Array.from({ length: n }, (_, i) => adapter.create(context(i + 1, shared, local), adapter.defaults ?? {})));
}

describe.each(['mutex', 'flock', 'lockfile'])('%s between async actors of one thread', (name) => {
  test('tryAcquire never waits: false while another holds it, true once released', async () => {
    const [a, b] = await make(name, 2);
    expect(await a!.tryAcquire()).toBe(true);
    expect(await b!.tryAcquire()).toBe(false);
    await a!.release();
    expect(await b!.tryAcquire()).toBe(true);
    await b!.release();
  });

  test('release is idempotent and harmless without the lock', async () => {
    const [a, b] = await make(name, 2);
    await a!.release();
    expect(await a!.tryAcquire()).toBe(true);
    await a!.release();
    await a!.release();
    expect(await b!.tryAcquire()).toBe(true);
    await b!.release();
    await Promise.all([a!.close?.(), b!.close?.()]);
  });

  test('six waiters on one lock all get it in turn, and other file I/O goes on meanwhile', async () => {
    const [holder, ...waiters] = await make(name, 7);
    expect(await holder!.tryAcquire()).toBe(true);
    const order: number[] = [];
    const done = waiters.map(async (lock, i) => {
      await lock.acquire();
      order.push(i);
      await lock.release();
    });
    // With a blocking wait per waiter on libuv's 4-thread pool, these reads could not finish
    // while the holder keeps the lock. They must.
    const probe = join(dir, 'probe.txt');
    writeFileSync(probe, 'x');
    const reads = await Promise.all(Array.from({ length: 16 }, () => readFile(probe, 'utf8')));
    expect(reads.every((r) => r === 'x')).toBe(true);
    expect(order).toEqual([]);
    await holder!.release();
    await Promise.all(done);
    expect([...order].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('spinlock: the flag of the AppCache lock tests is per instance', () => {
  test('two instances both take it', async () => {
    const [a, b] = await make('spinlock', 2);
    expect(await a!.tryAcquire()).toBe(true);
    expect(await b!.tryAcquire()).toBe(true);
  });
  test('one instance waits for itself, polling, and gives up after its timeout', async () => {
    const adapter = builtinLocks.get('spinlock')!;
    const lock = await adapter.create(context(1), { pollMs: 5, timeoutMs: 20 });
    await lock.acquire();
    await expect(lock.acquire()).rejects.toThrow('could not get lock in 20 ms');
  });
});

describe('across worker_threads, with acquire() and a read-modify-write', () => {
  const run = async (lock: string, threads: number, increments: number): Promise<number> => {
    const file = join(dir, 'counter.txt');
    writeFileSync(file, '0');
    const shared = new SharedArrayBuffer(64);
    await Promise.all(
      Array.from({ length: threads }, (_, i) =>
        new Promise<void>((resolve, reject) => {
          const w = new Worker(new URL('./fixtures/counter-thread.mjs', import.meta.url), {
            workerData: { lock, lockPath: join(dir, 'shared.lock'), file, shared, worker: i + 1, increments },
          });
          w.once('message', () => resolve());
          w.once('error', reject);
        }),
      ),
    );
    return Number(readFileSync(file, 'utf8'));
  };
  test.each(['mutex', 'flock', 'lockfile'])('%s loses no increment', async (lock) => {
    expect(await run(lock, 4, 25)).toBe(100);
  });
});

describe('flock and the death of its holder', () => {
  test('the kernel frees the lock when the holding process is SIGKILLed', async () => {
    const lockPath = join(dir, 'shared.lock');
    const holder = `import { openSync } from 'node:fs'; import { tryLock } from 'fs-native-extensions';
      const fd = openSync(${JSON.stringify(lockPath)}, 'a+');
      process.send(tryLock(fd) ? 'locked' : 'busy'); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', holder], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const said = await new Promise((resolve) => child.once('message', resolve));
    expect(said).toBe('locked');
    const [mine] = await make('flock', 1);
    expect(await mine!.tryAcquire()).toBe(false);
    const exited = new Promise((resolve) => child.once('exit', (_c, signal) => resolve(signal)));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(await mine!.tryAcquire()).toBe(true);
    await mine!.close?.();
  });
});
