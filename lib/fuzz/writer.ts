import { openSync, writeSync } from 'node:fs';
import { lockRegistry } from '../locks/registry.js';
import type { AdapterRef } from '../locks/types.js';
import { JsonFileStore } from '../store/json-file-store.js';
import { writeRegistry } from '../writes/index.js';
import type { WriterOrder } from './protocol.js';

async function nameOf(registry: typeof lockRegistry | typeof writeRegistry, ref: AdapterRef): Promise<string> {
  return 'builtin' in ref ? ref.builtin : (await registry.register(ref)).name;
}

/**
 * A kill-fuzz child: puts with growing sequences on its key, each acknowledged sequence appended
 * to its journal, until it is killed (or, with `quitAfter`, leaves on its own with status 3).
 */
export async function putUntilKilled(order: WriterOrder): Promise<never> {
  const store = await JsonFileStore.open(order.state, {
    lock: await nameOf(lockRegistry, order.lock),
    write: await nameOf(writeRegistry, order.write),
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
