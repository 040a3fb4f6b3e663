import { parentPort, workerData } from 'node:worker_threads';
import { createLock, loadAdapter } from '../lib/locks/registry.js';
import type { Lock } from '../lib/locks/types.js';

/**
 * One side of the hand-over benchmark, in a worker_thread or a child process: it holds the lock,
 * or waits for it in acquire() and notes the monotonic clock (CLOCK_MONOTONIC, the same in every
 * process of the machine) the moment it gets it.
 */
type Order = { type: 'hold' } | { type: 'wait' } | { type: 'release' } | { type: 'close' };
type Report = { type: 'ready' } | { type: 'held' } | { type: 'waiting' } | { type: 'acquired'; at: string } | { type: 'released'; at: string } | { type: 'closed' };

interface Setup {
  lock: string;
  /** A lock on a server: its url, filled in by the benchmark. */
  lockOptions?: Record<string, unknown>;
  lockPath: string;
  worker: number;
  shared?: SharedArrayBuffer;
}

const now = (): string => process.hrtime.bigint().toString();

async function serve(setup: Setup, post: (r: Report) => void, listen: (h: (o: Order) => void) => void): Promise<void> {
  const adapter = await loadAdapter({ builtin: setup.lock });
  const lock: Lock = await createLock(
    adapter,
    {
      worker: setup.worker,
      kind: parentPort ? 'thread' : 'process',
      lockPath: setup.lockPath,
      shared: new Int32Array(setup.shared ?? new SharedArrayBuffer(64)),
      local: (_key, make) => make(),
      signal: new AbortController().signal,
    },
    setup.lockOptions,
  );
  listen(async (order) => {
    switch (order.type) {
      case 'hold':
        await lock.acquire();
        post({ type: 'held' });
        break;
      case 'wait':
        if (await lock.tryAcquire()) throw new Error('the lock was free: nothing to hand over');
        post({ type: 'waiting' });
        await lock.acquire();
        post({ type: 'acquired', at: now() });
        break;
      case 'release': {
        const at = now();
        await lock.release();
        post({ type: 'released', at });
        break;
      }
      case 'close':
        await lock.close?.();
        post({ type: 'closed' });
        break;
    }
  });
  // Orders sent before the listener existed would be lost on a process's IPC channel.
  post({ type: 'ready' });
}

if (parentPort) {
  const port = parentPort;
  void serve(workerData as Setup, (r) => port.postMessage(r), (h) => port.on('message', h));
} else {
  process.once('disconnect', () => process.exit(0));
  process.once('message', (setup: Setup) => {
    void serve(setup, (r) => process.send!(r), (h) => process.on('message', h));
  });
}
