const FREE = 0;
const TAKEN = 1;

/**
 * A mutex in one word of shared memory, so worker_threads that were handed the same
 * SharedArrayBuffer exclude each other. Waiting uses Atomics.waitAsync, which parks the
 * waiter's promise instead of blocking its event loop.
 */
export class AtomicsMutex {
  private readonly cell: Int32Array;
  private readonly index: number;

  constructor(cell: Int32Array, index = 0) {
    this.cell = cell;
    this.index = index;
  }

  tryLock(): boolean {
    return Atomics.compareExchange(this.cell, this.index, FREE, TAKEN) === FREE;
  }

  async lock(signal: AbortSignal): Promise<void> {
    if (this.tryLock()) return;
    // A pending Atomics.waitAsync does not keep Node's event loop alive: without a handle of its
    // own, a thread with nothing else to do would simply end while it waits.
    const keepAlive = setInterval(() => {}, 1 << 30);
    try {
      while (!this.tryLock()) {
        signal.throwIfAborted();
        // The bound on the wait only matters for noticing an abort; a release notifies at once.
        const waiting = Atomics.waitAsync(this.cell, this.index, TAKEN, 50);
        if (waiting.async) await waiting.value;
      }
    } finally {
      clearInterval(keepAlive);
    }
  }

  unlock(): void {
    Atomics.store(this.cell, this.index, FREE);
    Atomics.notify(this.cell, this.index);
  }
}
