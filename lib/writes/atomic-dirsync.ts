import { dirname } from 'node:path';
import { steps, uniqueTemp, writeThenRename } from './chunks.js';
import type { WriteStrategy } from './types.js';

/** atomic, then an fsync of the directory, so the rename itself survives a power loss (variant 4 of the MDV JSON write stress tests). */
export const AtomicDirsyncStrategy: WriteStrategy = {
  name: 'atomic-dirsync',
  description: 'atomic + fsync of the directory after the rename',
  durable: true,
  async save(path, data) {
    await writeThenRename(path, data, uniqueTemp(path), { fsync: true, flags: 'wx' });
    const dir = await steps.open(dirname(path), 'r');
    try {
      await steps.fsync(dir);
    } finally {
      await steps.close(dir);
    }
  },
};
