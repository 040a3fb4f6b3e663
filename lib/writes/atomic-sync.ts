import { execFileSync } from 'node:child_process';
import { uniqueTemp, writeThenRename } from './chunks.js';
import { tracedStep } from './trace.js';
import type { WriteStrategy } from './types.js';

/** atomic, then a global `sync` after the rename (variants 2–3 of the MDV JSON write stress tests: `os.system("sync")`). */
export const AtomicSyncStrategy: WriteStrategy = {
  name: 'atomic-sync',
  description: 'atomic + a global sync(1) after the rename',
  async save(path, data) {
    await writeThenRename(path, data, uniqueTemp(path), { fsync: true, flags: 'wx' });
    await tracedStep('sync', 'all file systems', () => execFileSync('sync'));
  },
};
