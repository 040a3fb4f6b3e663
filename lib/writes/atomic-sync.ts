import { uniqueTemp, writeThenRename } from './chunks.js';
import { tracedStep } from './trace.js';
import type { WriteStrategy } from './types.js';

/** atomic, then a global `sync` after the rename (variants 2–3 of the MDV JSON write stress tests: `os.system("sync")`). */
export const AtomicSyncStrategy: WriteStrategy = {
  name: 'atomic-sync',
  description: 'atomic + a global sync(1) after the rename',
  durable: true,
  async save(path, data) {
    await writeThenRename(path, data, uniqueTemp(path), { fsync: true, flags: 'wx' });
    // Imported here: child_process is all this strategy needs it for, and every host loads the strategies.
    const { execFileSync } = await import('node:child_process');
    await tracedStep('sync', 'all file systems', () => execFileSync('sync'));
  },
};
