import { openSync, writeSync } from 'node:fs';
import { JsonFileStore } from '../store/json-file-store.js';
import type { WriterOrder } from './protocol.js';

/**
 * A kill-fuzz child: puts with growing sequences on its key, each acknowledged sequence appended
 * to its journal, until it is killed (or, with `quitAfter`, leaves on its own with status 3).
 */
export async function putUntilKilled(order: WriterOrder): Promise<never> {
  const store = await JsonFileStore.openByRef(order.state, {
    lock: order.lock,
    write: order.write,
    ...(order.lockOptions ? { lockOptions: order.lockOptions } : {}),
  });
  const journal = openSync(order.journal, 'a');
  for (let sequence = order.start; ; sequence++) {
    // Checked before each put: `quitAfter: 0` leaves before the first.
    if (order.quitAfter !== undefined && sequence - order.start >= order.quitAfter) process.exit(3);
    await store.put(order.key, { sequence });
    // write(2) straight to the kernel: once it returns, a SIGKILL cannot lose the line.
    writeSync(journal, `${sequence}\n`);
  }
}
